// The `cjk` analyzer indexes Chinese as overlapping bigrams, so `华为` finds `华为技术有限公司`;
// Latin text is still tokenised by words.
CREATE FULLTEXT INDEX party_names IF NOT EXISTS
FOR (n:Company|Person) ON EACH [n.name, n.nameEn, n.shortName]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk', `fulltext.eventually_consistent`: false}};
