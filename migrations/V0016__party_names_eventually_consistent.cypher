// Each Lucene index kept up to date inside the commit costs a write of a name some 5-10 ms on
// a small machine; party_names now takes its updates right after the commit instead. Searches
// stay read-your-writes: graph/search.py waits for pending updates before it queries.
DROP INDEX party_names IF EXISTS;
CREATE FULLTEXT INDEX party_names IF NOT EXISTS
FOR (n:Company|Person) ON EACH [n.name, n.nameEn, n.shortName]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk', `fulltext.eventually_consistent`: true}};
