// A duplicate candidate's id was made from its pair (a version-5 uuid of the label and the two
// record ids, with the namespace in the open code): a viewer who saw one side could test
// guesses of the other. New ids are random (graph/duplicates.py); this gives the stored ones
// random ids too, keeping their status, so no old id outlives the upgrade.
MATCH (d:DuplicateCandidate) WHERE substring(d.id, 14, 1) = '5' SET d.id = randomUUID();
