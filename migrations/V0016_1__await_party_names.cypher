// The index rebuilt by V0016 fills in the background; on an existing database the app is not
// ready, and searches do not run, before it is online.
CALL db.awaitIndex('party_names', 500);
