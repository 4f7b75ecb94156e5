// The new index fills in the background: searches do not use it before it is online.
CALL db.awaitIndex('party_pinyin', 500);
