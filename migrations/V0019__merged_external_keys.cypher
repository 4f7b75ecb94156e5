// A merge keeps the merged record's key in its source system on its MergedId (graph/merge.py),
// so that imports from that source still find the account; they look it up by this index.
CREATE INDEX merged_id_external IF NOT EXISTS FOR (n:MergedId) ON (n.externalSource, n.externalId);
