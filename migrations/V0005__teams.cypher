// Teams for row-level access (graph/access.py): a user's `team` names a :Team by its code;
// (:Team)-[:PART_OF]->(:Team) is the hierarchy managers see down.
CREATE CONSTRAINT team_id IF NOT EXISTS FOR (n:Team) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT team_code IF NOT EXISTS FOR (n:Team) REQUIRE n.code IS UNIQUE;
CREATE INDEX user_team IF NOT EXISTS FOR (n:User) ON (n.team);
