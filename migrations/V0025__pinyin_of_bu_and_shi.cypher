// 卜 and 什 alone now read bu and shi (graph/matching.py _SINGLE_READINGS): names with them
// had keys made with bo and shen (阿卜杜拉 was found by "abo", not "abudula"). Forgetting
// the name the keys were made from makes start-up remake them (graph/pinyin.py fill).
MATCH (n) WHERE (n:Company OR n:Person) AND n.namePinyinOf IS NOT NULL
  AND (n.name CONTAINS '卜' OR n.name CONTAINS '什')
REMOVE n.namePinyinOf;
