// A merge finds the merged customers' sales plans by their target (graph/merge.py PLANS_OF);
// without this index every merge read every plan.
CREATE INDEX sales_plan_target IF NOT EXISTS FOR (n:SalesPlan) ON (n.targetId);
