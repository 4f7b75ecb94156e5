// Default classification rules (R14), in Chinese and English: admins edit or disable them
// through saveClassificationRule; nothing here is code. TRADE from the records, NATURE and
// CHARACTERISTICS from the profile (and DISTRIBUTES_FOR edges), PRODUCT_LINE from the
// categories bought (the demo catalogue's). Lower priority numbers are tried first.
UNWIND [
  {id: 'default-trade-problem-10', dimension: 'TRADE', classKey: 'PROBLEM', nameZh: '问题客户', nameEn: 'Problem customer', priority: 10, conditions: '[{"field": "openComplaints", "op": "GTE", "value": 1}]'},
  {id: 'default-trade-problem-11', dimension: 'TRADE', classKey: 'PROBLEM', nameZh: '问题客户', nameEn: 'Problem customer', priority: 11, conditions: '[{"field": "overdueOrders", "op": "GTE", "value": 1}]'},
  {id: 'default-trade-former-20', dimension: 'TRADE', classKey: 'FORMER', nameZh: '前客户', nameEn: 'Former customer', priority: 20, conditions: '[{"field": "orders", "op": "GTE", "value": 1}, {"field": "daysSinceLastOrder", "op": "GT", "value": 365}]'},
  {id: 'default-trade-long_term-30', dimension: 'TRADE', classKey: 'LONG_TERM', nameZh: '长期客户', nameEn: 'Long-term customer', priority: 30, conditions: '[{"field": "orders", "op": "GTE", "value": 2}, {"field": "daysSinceFirstOrder", "op": "GT", "value": 365}]'},
  {id: 'default-trade-new-40', dimension: 'TRADE', classKey: 'NEW', nameZh: '新客户', nameEn: 'New customer', priority: 40, conditions: '[{"field": "orders", "op": "GTE", "value": 1}, {"field": "daysSinceFirstOrder", "op": "LTE", "value": 365}]'},
  {id: 'default-trade-potential-50', dimension: 'TRADE', classKey: 'POTENTIAL', nameZh: '潜在客户', nameEn: 'Potential customer', priority: 50, conditions: '[{"field": "orders", "op": "EQ", "value": 0}]'},
  {id: 'default-nature-individual-10', dimension: 'NATURE', classKey: 'INDIVIDUAL', nameZh: '个人', nameEn: 'Individual', priority: 10, conditions: '[{"field": "customerKind", "op": "EQ", "value": "INDIVIDUAL"}]'},
  {id: 'default-nature-government-20', dimension: 'NATURE', classKey: 'GOVERNMENT', nameZh: '政府机构', nameEn: 'Government or institution', priority: 20, conditions: '[{"field": "companyType", "op": "IN", "value": ["机关法人", "事业单位", "事业单位法人", "社会团体法人", "政府机关"]}]'},
  {id: 'default-nature-government-21', dimension: 'NATURE', classKey: 'GOVERNMENT', nameZh: '政府机构', nameEn: 'Government or institution', priority: 21, conditions: '[{"field": "industry", "op": "CONTAINS", "value": "公共管理"}]'},
  {id: 'default-nature-intermediary-30', dimension: 'NATURE', classKey: 'INTERMEDIARY', nameZh: '中间商', nameEn: 'Intermediary', priority: 30, conditions: '[{"field": "distributesFor", "op": "GTE", "value": 1}]'},
  {id: 'default-nature-intermediary-31', dimension: 'NATURE', classKey: 'INTERMEDIARY', nameZh: '中间商', nameEn: 'Intermediary', priority: 31, conditions: '[{"field": "industry", "op": "CONTAINS", "value": "批发"}]'},
  {id: 'default-nature-intermediary-32', dimension: 'NATURE', classKey: 'INTERMEDIARY', nameZh: '中间商', nameEn: 'Intermediary', priority: 32, conditions: '[{"field": "industry", "op": "CONTAINS", "value": "贸易"}]'},
  {id: 'default-nature-manufacturer-40', dimension: 'NATURE', classKey: 'MANUFACTURER', nameZh: '制造商', nameEn: 'Manufacturer', priority: 40, conditions: '[{"field": "industry", "op": "CONTAINS", "value": "制造"}]'},
  {id: 'default-characteristics-large-10', dimension: 'CHARACTERISTICS', classKey: 'LARGE', nameZh: '大型企业', nameEn: 'Large enterprise', priority: 10, conditions: '[{"field": "employeeCount", "op": "GTE", "value": 1000}]'},
  {id: 'default-characteristics-large-11', dimension: 'CHARACTERISTICS', classKey: 'LARGE', nameZh: '大型企业', nameEn: 'Large enterprise', priority: 11, conditions: '[{"field": "scale", "op": "EQ", "value": "大型"}]'},
  {id: 'default-characteristics-medium-20', dimension: 'CHARACTERISTICS', classKey: 'MEDIUM', nameZh: '中型企业', nameEn: 'Medium-sized enterprise', priority: 20, conditions: '[{"field": "employeeCount", "op": "GTE", "value": 100}]'},
  {id: 'default-characteristics-medium-21', dimension: 'CHARACTERISTICS', classKey: 'MEDIUM', nameZh: '中型企业', nameEn: 'Medium-sized enterprise', priority: 21, conditions: '[{"field": "scale", "op": "EQ", "value": "中型"}]'},
  {id: 'default-characteristics-small-30', dimension: 'CHARACTERISTICS', classKey: 'SMALL', nameZh: '小微企业', nameEn: 'Small or micro enterprise', priority: 30, conditions: '[{"field": "employeeCount", "op": "LT", "value": 100}]'},
  {id: 'default-characteristics-small-31', dimension: 'CHARACTERISTICS', classKey: 'SMALL', nameZh: '小微企业', nameEn: 'Small or micro enterprise', priority: 31, conditions: '[{"field": "scale", "op": "IN", "value": ["小型", "微型"]}]'},
  {id: 'default-characteristics-consumer-40', dimension: 'CHARACTERISTICS', classKey: 'CONSUMER', nameZh: '个人消费者', nameEn: 'Individual consumer', priority: 40, conditions: '[{"field": "partyType", "op": "EQ", "value": "PERSON"}]'},
  {id: 'default-product_line-machine_tools-10', dimension: 'PRODUCT_LINE', classKey: 'MACHINE_TOOLS', nameZh: '机床', nameEn: 'Machine tools', priority: 10, conditions: '[{"field": "productCategories", "op": "HAS", "value": "机床"}]'},
  {id: 'default-product_line-robotics-20', dimension: 'PRODUCT_LINE', classKey: 'ROBOTICS', nameZh: '机器人', nameEn: 'Robotics', priority: 20, conditions: '[{"field": "productCategories", "op": "HAS", "value": "机器人"}]'},
  {id: 'default-product_line-inspection-30', dimension: 'PRODUCT_LINE', classKey: 'INSPECTION', nameZh: '检测设备', nameEn: 'Inspection equipment', priority: 30, conditions: '[{"field": "productCategories", "op": "HAS", "value": "检测设备"}]'},
  {id: 'default-product_line-software-40', dimension: 'PRODUCT_LINE', classKey: 'SOFTWARE', nameZh: '软件', nameEn: 'Software', priority: 40, conditions: '[{"field": "productCategories", "op": "HAS", "value": "软件"}]'},
  {id: 'default-product_line-aftermarket-50', dimension: 'PRODUCT_LINE', classKey: 'AFTERMARKET', nameZh: '备件与服务', nameEn: 'Spare parts and service', priority: 50, conditions: '[{"field": "productCategories", "op": "HAS_ANY", "value": ["备件", "服务"]}]'}
] AS d
MERGE (k:CustomerClass {id: d.dimension + ':' + d.classKey})
ON CREATE SET k.dimension = d.dimension, k.key = d.classKey, k.nameZh = d.nameZh,
  k.nameEn = d.nameEn, k.createdAt = datetime()
MERGE (r:ClassificationRule {id: d.id})
ON CREATE SET r.dimension = d.dimension, r.classKey = d.classKey, r.nameZh = d.nameZh,
  r.nameEn = d.nameEn, r.priority = d.priority, r.conditions = d.conditions, r.enabled = true,
  r.version = 1, r.createdAt = datetime(), r.updatedAt = datetime(), r.updatedBy = 'migration'
MERGE (r)-[:ASSIGNS]->(k);
