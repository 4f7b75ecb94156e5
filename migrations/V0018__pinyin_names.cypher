// Pinyin keys of Chinese names (graph/pinyin.py): `huaxing` and `hxjt` find 华星集团. The keys
// are words of ASCII letters, so white space splits them; as party_names (V0016), the index
// takes its updates just after each commit and searches wait for them. The app makes the keys
// of names stored before this (graph/pinyin.py `fill`) when it starts.
CREATE FULLTEXT INDEX party_pinyin IF NOT EXISTS
FOR (n:Company|Person) ON EACH [n.namePinyin]
OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace', `fulltext.eventually_consistent`: true}};
