"""The demo data set as plain Python: a fictional group of companies around 华星集团, its contacts,
three projects and our sales staff. Every name here is invented.

Records are keyed by short stable keys (`"huaxing"`, `"liu_jianguo"`); `demo_id(kind, key)` turns a
key into a fixed UUID, so tests, docs and other tools can refer to demo records by id and
re-seeding MERGEs onto the same nodes. `graph.demo` turns these structures into Cypher rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from stdnum.cn import uscc

# Fixed namespace for the demo ids; changing it changes every documented id.
DEMO_NAMESPACE = uuid.UUID("5d1e7c3a-9b2f-4c61-8a0e-3f7b2d4c6e81")


def demo_id(kind: str, key: str) -> str:
    """The fixed UUID of a demo record, e.g. demo_id("company", "huaxing")."""
    return str(uuid.uuid5(DEMO_NAMESPACE, f"{kind}:{key}"))


def sha256_hex(key: str) -> str:
    """How API keys are stored (`ApiKey.hash`); the same digest resolvers.auth computes."""
    return hashlib.sha256(key.encode()).hexdigest()


def credit_code(body: str) -> str:
    """A unified social credit code with a valid check character for a 17-character body."""
    return body + uscc.calc_check_digit(body)


D = dt.date

# ---------------------------------------------------------------------------------------------
# Companies: key -> properties. `customer` (optional) is the :Customer profile.
# ---------------------------------------------------------------------------------------------

COMPANIES: dict[str, dict[str, Any]] = {
    "huaxing": {
        "name": "华星集团有限公司",
        "nameEn": "Huaxing Group Co., Ltd.",
        "shortName": "华星",
        "unifiedSocialCreditCode": credit_code("91310000MA1HX0001"),
        "industry": "制造业",
        "scale": "大型",
        "companyType": "有限责任公司",
        "foundedOn": D(1998, 5, 18),
        "employeeCount": 12800,
        "registeredCapital": 150000.0,
        "legalRepresentative": "黄振华",
        "address": "上海市浦东新区世纪大道1888号华星大厦",
        "postcode": "200120",
        "phone": "+862158880000",
        "website": "https://huaxing-group.example",
        "mainBusiness": "智能装备制造、数字科技、新能源投资",
        "customer": {
            "customerCode": "HX-C-0001",
            "customerKind": "ENTERPRISE",
            "lifecycleStage": "ACTIVE",
            "classification": "集团大客户 / group key account",
            "tier": "CORE",
        },
    },
    "hx_smart": {
        "name": "华星智能制造有限公司",
        "nameEn": "Huaxing Intelligent Manufacturing Co., Ltd.",
        "shortName": "华星智造",
        "unifiedSocialCreditCode": credit_code("91320500MA1HX0002"),
        "industry": "制造业",
        "scale": "大型",
        "companyType": "有限责任公司",
        "foundedOn": D(2006, 9, 1),
        "employeeCount": 4200,
        "registeredCapital": 50000.0,
        "legalRepresentative": "刘建国",
        "address": "江苏省苏州市工业园区星湖街328号",
        "postcode": "215000",
        "phone": "+8651262880000",
        "mainBusiness": "工业机器人、自动化产线",
        "customer": {
            "customerCode": "HX-C-0002",
            "customerKind": "ENTERPRISE",
            "lifecycleStage": "ACTIVE",
            "classification": "制造业 / manufacturing",
            "tier": "CORE",
        },
    },
    "hx_tech": {
        "name": "华星数字科技有限公司",
        "nameEn": "Huaxing Digital Technology Co., Ltd.",
        "shortName": "华星数科",
        "unifiedSocialCreditCode": credit_code("91330100MA1HX0003"),
        "industry": "信息技术",
        "scale": "中型",
        "companyType": "有限责任公司",
        "foundedOn": D(2015, 3, 12),
        "employeeCount": 860,
        "registeredCapital": 20000.0,
        "legalRepresentative": "赵勇",
        "address": "浙江省杭州市滨江区网商路699号",
        "postcode": "310052",
        "phone": "+8657186880000",
        "mainBusiness": "数据中心、云服务、工业互联网平台",
        "customer": {
            "customerCode": "HX-C-0003",
            "customerKind": "ENTERPRISE",
            "lifecycleStage": "NEW",
            "classification": "信息技术 / IT",
            "tier": "GENERAL",
        },
    },
    "hx_east": {
        "name": "华星集团有限公司华东分公司",
        "nameEn": "Huaxing Group East China Branch",
        "industry": "制造业",
        "companyType": "分公司",
        "foundedOn": D(2003, 7, 1),
        "employeeCount": 120,
        "address": "江苏省南京市建邺区江东中路108号",
    },
    "hx_research": {
        "name": "华星集团中央研究院",
        "nameEn": "Huaxing Central Research Institute",
        "industry": "研发",
        "companyType": "事业部",
        "foundedOn": D(2012, 1, 1),
        "employeeCount": 350,
    },
    "hx_suzhou": {
        "name": "华星智能制造(苏州)有限公司",
        "nameEn": "Huaxing Intelligent Manufacturing (Suzhou) Co., Ltd.",
        "unifiedSocialCreditCode": credit_code("91320594MA1HX0004"),
        "industry": "制造业",
        "scale": "中型",
        "companyType": "有限责任公司",
        "foundedOn": D(2011, 4, 20),
        "employeeCount": 1500,
        "registeredCapital": 12000.0,
        "address": "江苏省苏州市吴中区越溪工业园88号",
        "customer": {
            "customerCode": "HX-C-0004",
            "customerKind": "ENTERPRISE",
            "lifecycleStage": "POTENTIAL",
            "classification": "制造业 / manufacturing",
            "tier": "GENERAL",
        },
    },
    "hx_kunshan": {
        "name": "华星智能制造(苏州)有限公司昆山分公司",
        "nameEn": "Huaxing Intelligent Manufacturing (Suzhou) Kunshan Branch",
        "industry": "制造业",
        "companyType": "分公司",
        "foundedOn": D(2019, 10, 8),
        "employeeCount": 260,
        "address": "江苏省昆山市开发区前进东路55号",
    },
    "hx_wuhan": {
        "name": "华星智能制造有限公司武汉分公司",
        "nameEn": "Huaxing Intelligent Manufacturing Wuhan Branch",
        "industry": "制造业",
        "companyType": "分公司",
        "foundedOn": D(2017, 6, 6),
        "employeeCount": 310,
        "address": "湖北省武汉市东湖新技术开发区光谷大道77号",
    },
    "hx_cloud": {
        "name": "华星云数据服务(贵州)有限公司",
        "nameEn": "Huaxing Cloud Data Services (Guizhou) Co., Ltd.",
        "unifiedSocialCreditCode": credit_code("91520100MA1HX0005"),
        "industry": "信息技术",
        "scale": "小型",
        "companyType": "有限责任公司",
        "foundedOn": D(2018, 8, 8),
        "employeeCount": 140,
        "registeredCapital": 5000.0,
        "address": "贵州省贵阳市贵安新区数据大道9号",
        "customer": {
            "customerCode": "HX-C-0006",
            "customerKind": "ENTERPRISE",
            "lifecycleStage": "LOST",
            "classification": "信息技术 / IT",
            "tier": "PROBLEM",
        },
    },
    "hx_jv": {
        "name": "华星博远新能源科技有限公司",
        "nameEn": "Huaxing Boyuan New Energy Technology Co., Ltd.",
        "shortName": "星远新能",
        "unifiedSocialCreditCode": credit_code("91440300MA1HX0006"),
        "industry": "新能源",
        "scale": "中型",
        "companyType": "中外合资经营企业",
        "foundedOn": D(2021, 11, 11),
        "employeeCount": 480,
        "registeredCapital": 30000.0,
        "address": "广东省深圳市南山区科苑南路3099号",
        "customer": {
            "customerCode": "HX-C-0005",
            "customerKind": "ENTERPRISE",
            # It bought until eight months ago (graph/demo_records.py): a customer, not a lead.
            "lifecycleStage": "ACTIVE",
            "classification": "新能源 / new energy",
            "tier": "GENERAL",
        },
    },
    "boyuan": {
        "name": "博远控股集团有限公司",
        "nameEn": "Boyuan Holdings Group Co., Ltd.",
        "shortName": "博远",
        "unifiedSocialCreditCode": credit_code("91440000MA1BY0001"),
        "industry": "投资控股",
        "scale": "大型",
        "companyType": "有限责任公司",
        "foundedOn": D(2001, 2, 14),
        "employeeCount": 6500,
        "address": "广东省广州市天河区珠江新城华夏路16号",
    },
    "dongfang": {
        "name": "东方精密机械股份有限公司",
        "nameEn": "Dongfang Precision Machinery Co., Ltd.",
        "shortName": "东方精机",
        "industry": "机械制造",
        "scale": "中型",
        "companyType": "股份有限公司",
        "foundedOn": D(2004, 3, 3),
        "employeeCount": 900,
        "mainBusiness": "数控机床、精密减速器",
    },
    "shenlian": {
        "name": "申联电子元器件有限公司",
        "nameEn": "Shenlian Electronic Components Co., Ltd.",
        "industry": "电子元器件",
        "scale": "小型",
        "companyType": "有限责任公司",
        "foundedOn": D(2010, 12, 1),
        "employeeCount": 220,
    },
    "xinglian": {
        "name": "华南星联贸易有限公司",
        "nameEn": "South China Xinglian Trading Co., Ltd.",
        "industry": "批发贸易",
        "scale": "小型",
        "companyType": "有限责任公司",
        "foundedOn": D(2013, 5, 5),
        "employeeCount": 65,
    },
    "hengtong": {
        "name": "西部恒通商贸有限公司",
        "nameEn": "Western Hengtong Commerce Co., Ltd.",
        "industry": "批发贸易",
        "scale": "小型",
        "companyType": "有限责任公司",
        "foundedOn": D(2016, 9, 9),
        "employeeCount": 40,
    },
    "changhe": {
        "name": "长河资本管理有限公司",
        "nameEn": "Changhe Capital Management Co., Ltd.",
        "industry": "金融投资",
        "scale": "小型",
        "companyType": "有限责任公司",
        "foundedOn": D(2014, 7, 1),
        "employeeCount": 55,
    },
    "design_institute": {
        "name": "华东工业设计研究院有限公司",
        "nameEn": "East China Industrial Design Institute Co., Ltd.",
        "shortName": "华东设计院",
        "industry": "工程设计",
        "scale": "中型",
        "companyType": "有限责任公司",
        "foundedOn": D(1992, 10, 1),
        "employeeCount": 1100,
        "mainBusiness": "工厂设计、自动化系统咨询",
    },
    "zhike": {
        "name": "智科自动化系统有限公司",
        "nameEn": "Zhike Automation Systems Co., Ltd.",
        "shortName": "智科",
        "industry": "软件和信息技术服务",
        "scale": "中型",
        "companyType": "有限责任公司",
        "foundedOn": D(2009, 4, 1),
        "employeeCount": 700,
        "mainBusiness": "MES系统、产线控制系统",
    },
}

# (child, parent, kind, ownership, since). The joint venture has two parents.
SUBSIDIARY_OF: list[tuple[str, str, str, float | None, dt.date]] = [
    ("hx_smart", "huaxing", "SUBSIDIARY", 1.0, D(2006, 9, 1)),
    ("hx_tech", "huaxing", "SUBSIDIARY", 0.8, D(2015, 3, 12)),
    ("hx_east", "huaxing", "BRANCH", None, D(2003, 7, 1)),
    ("hx_research", "huaxing", "DIVISION", None, D(2012, 1, 1)),
    ("hx_jv", "huaxing", "JOINT_VENTURE", 0.51, D(2021, 11, 11)),
    ("hx_jv", "boyuan", "JOINT_VENTURE", 0.49, D(2021, 11, 11)),
    ("hx_suzhou", "hx_smart", "SUBSIDIARY", 1.0, D(2011, 4, 20)),
    ("hx_wuhan", "hx_smart", "BRANCH", None, D(2017, 6, 6)),
    ("hx_cloud", "hx_tech", "SUBSIDIARY", 0.7, D(2018, 8, 8)),
    ("hx_kunshan", "hx_suzhou", "BRANCH", None, D(2019, 10, 8)),
]

# Other company-to-company edges: (type, from, to, properties, since).
COMPANY_LINKS: list[tuple[str, str, str, dict[str, Any], dt.date | None]] = [
    ("SUPPLIES", "dongfang", "hx_smart", {"products": "数控机床、精密减速器"}, D(2012, 1, 1)),
    ("SUPPLIES", "shenlian", "hx_suzhou", {"products": "传感器、连接器"}, D(2019, 3, 1)),
    ("DISTRIBUTES_FOR", "xinglian", "hx_smart", {"region": "华南 / South China"}, D(2015, 6, 1)),
    ("DISTRIBUTES_FOR", "hengtong", "hx_smart", {"region": "西南 / Southwest"}, D(2018, 1, 1)),
    ("PARTNERS_WITH", "boyuan", "huaxing", {"note": "新能源战略合作 / new-energy alliance"}, None),
    ("INVESTS_IN", "changhe", "hx_tech", {"ownership": 0.2}, D(2020, 5, 20)),
    (
        "INFLUENCES_PURCHASE",
        "design_institute",
        "hx_smart",
        {"strength": 0.7, "note": "智慧工厂总体设计单位，参与选型 / designs the smart factory"},
        D(2025, 9, 1),
    ),
    (
        "INCUMBENT_AT",
        "zhike",
        "hx_smart",
        {"products": "MES系统、产线控制", "satisfaction": 0.55, "repName": "赵磊"},
        D(2021, 3, 1),
    ),
]

# ---------------------------------------------------------------------------------------------
# People: key -> (name, nameEn, gender, extra properties)
# ---------------------------------------------------------------------------------------------

PEOPLE: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    # 华星集团 headquarters
    "huang_zhenhua": (
        "黄振华",
        "Huang Zhenhua",
        "MALE",
        {"hasPurchasingPower": True, "education": "博士", "hobbies": ["围棋", "高尔夫"]},
    ),
    "zheng_hong": ("郑红", "Zheng Hong", "FEMALE", {"hasPurchasingPower": True}),
    "qian_wei": ("钱伟", "Qian Wei", "MALE", {"hasPurchasingPower": True}),
    "sun_li": ("孙丽", "Sun Li", "FEMALE", {"education": "硕士"}),
    "he_jun": ("何军", "He Jun", "MALE", {}),
    "luo_yan": ("罗燕", "Luo Yan", "FEMALE", {}),
    "xu_tao": ("徐涛", "Xu Tao", "MALE", {"hobbies": ["跑步"]}),
    "tang_min": ("唐敏", "Tang Min", "FEMALE", {}),
    "feng_gang": ("冯刚", "Feng Gang", "MALE", {}),
    "cao_jing": ("曹静", "Cao Jing", "FEMALE", {}),
    "deng_yu": ("邓宇", "Deng Yu", "MALE", {}),
    "yuan_hui": ("袁慧", "Yuan Hui", "FEMALE", {}),
    # 华星智能制造
    "liu_jianguo": (
        "刘建国",
        "Liu Jianguo",
        "MALE",
        {"hasPurchasingPower": True, "education": "硕士", "hobbies": ["钓鱼", "书法"]},
    ),
    "wu_fang": ("吴芳", "Wu Fang", "FEMALE", {"hasPurchasingPower": True}),
    "li_na": ("李娜", "Li Na", "FEMALE", {"education": "硕士", "hobbies": ["羽毛球"]}),
    "ma_qiang": ("马强", "Ma Qiang", "MALE", {"hobbies": ["足球"]}),
    "zhou_min": ("周敏", "Zhou Min", "FEMALE", {}),
    "jiang_hai": ("蒋海", "Jiang Hai", "MALE", {}),
    "shen_lei": ("沈磊", "Shen Lei", "MALE", {}),
    "han_xue": ("韩雪", "Han Xue", "FEMALE", {}),
    "yang_fan": ("杨帆", "Yang Fan", "MALE", {}),
    "zhu_peng": ("朱鹏", "Zhu Peng", "MALE", {"hasPurchasingPower": True}),
    "qin_yue": ("秦悦", "Qin Yue", "FEMALE", {}),
    "lu_bin": ("陆斌", "Lu Bin", "MALE", {}),
    "ning_jing": ("宁静", "Ning Jing", "FEMALE", {}),
    # 苏州、昆山、武汉
    "gu_wenbin": ("顾文斌", "Gu Wenbin", "MALE", {"hasPurchasingPower": True}),
    "pan_li": ("潘莉", "Pan Li", "FEMALE", {}),
    "xie_chao": ("谢超", "Xie Chao", "MALE", {}),
    "peng_liang": ("彭亮", "Peng Liang", "MALE", {}),
    "wei_dong": ("魏东", "Wei Dong", "MALE", {}),
    # 华星数字科技、贵州云数据
    "zhao_yong": ("赵勇", "Zhao Yong", "MALE", {"hasPurchasingPower": True}),
    "lin_xiao": ("林晓", "Lin Xiao", "FEMALE", {"education": "硕士"}),
    "song_jie": ("宋杰", "Song Jie", "MALE", {}),
    "fang_qing": ("方青", "Fang Qing", "FEMALE", {}),
    "kong_wei": ("孔伟", "Kong Wei", "MALE", {}),
    "bai_lu": ("白露", "Bai Lu", "FEMALE", {}),
    "xia_ming": ("夏明", "Xia Ming", "MALE", {}),
    "sun_hao": ("孙浩", "Sun Hao", "MALE", {}),
    "ren_jia": ("任佳", "Ren Jia", "FEMALE", {}),
    "long_tao": ("龙涛", "Long Tao", "MALE", {}),
    "yang_liu": ("杨柳", "Yang Liu", "FEMALE", {}),
    # 合资公司、博远
    "ding_haifeng": ("丁海峰", "Ding Haifeng", "MALE", {"hasPurchasingPower": True}),
    "lyu_qing": ("吕晴", "Lyu Qing", "FEMALE", {}),
    "shi_lei": ("石磊", "Shi Lei", "MALE", {}),
    "ouyang_ming": ("欧阳明", "Ouyang Ming", "MALE", {}),
    "he_lan": ("贺兰", "He Lan", "FEMALE", {}),
    # 供应商、经销商、投资方
    "tian_ye": ("田野", "Tian Ye", "MALE", {}),
    "shao_hua": ("邵华", "Shao Hua", "MALE", {}),
    "jin_xin": ("金鑫", "Jin Xin", "MALE", {}),
    "liang_zhiqiang": ("梁志强", "Liang Zhiqiang", "MALE", {}),
    "hou_siyuan": ("侯思远", "Hou Siyuan", "MALE", {}),
    "tao_ran": ("陶然", "Tao Ran", "FEMALE", {}),
    # 设计院
    "gao_zhiyuan": ("高志远", "Gao Zhiyuan", "MALE", {"education": "博士", "hobbies": ["钓鱼"]}),
    "wu_bin": ("武斌", "Wu Bin", "MALE", {}),
    "chang_qing": ("常青", "Chang Qing", "FEMALE", {}),
    # 竞争对手智科
    "zhao_lei": ("赵磊", "Zhao Lei", "MALE", {}),
    "zhong_wei": ("钟伟", "Zhong Wei", "MALE", {}),
    "lei_ming": ("雷鸣", "Lei Ming", "MALE", {}),
    # not employed at a company in the graph
    "chen_guodong": (
        "陈国栋",
        "Chen Guodong",
        "MALE",
        {
            "occupation": "私营企业主",
            "birthDate": D(1972, 8, 16),
            "nationality": "CN",
            "hasPurchasingPower": True,
            "hobbies": ["收藏", "自驾游"],
            "education": "本科",
        },
    ),
    "wang_xiulan": ("王秀兰", "Wang Xiulan", "FEMALE", {"occupation": "医生"}),
}

# The individual customer (a Person with the :Customer label).
PERSON_CUSTOMERS: dict[str, dict[str, Any]] = {
    "chen_guodong": {
        "customerCode": "HX-P-0001",
        "customerKind": "INDIVIDUAL",
        "lifecycleStage": "ACTIVE",
        "classification": "高净值个人 / private client",
        "tier": "GENERAL",
    },
}

# (person, company, title, department, since, until)
WORKS_AT: list[tuple[str, str, str, str, dt.date, dt.date | None]] = [
    ("huang_zhenhua", "huaxing", "董事长兼总裁", "总裁办", D(1998, 5, 18), None),
    ("zheng_hong", "huaxing", "副总裁(分管信息化)", "总裁办", D(2008, 3, 1), None),
    ("qian_wei", "huaxing", "首席财务官", "财务部", D(2010, 7, 1), None),
    ("sun_li", "huaxing", "首席信息官", "信息中心", D(2016, 2, 15), None),
    ("he_jun", "huaxing", "采购总监", "集团采购部", D(2012, 9, 1), None),
    ("luo_yan", "huaxing", "总裁办主任", "总裁办", D(2011, 4, 1), None),
    ("xu_tao", "huaxing", "ERP项目经理", "信息中心", D(2019, 6, 1), None),
    ("tang_min", "huaxing", "财务经理", "财务部", D(2014, 3, 1), None),
    ("feng_gang", "huaxing", "信息安全经理", "信息中心", D(2017, 8, 1), None),
    ("cao_jing", "huaxing", "人力资源总监", "人力资源部", D(2013, 5, 1), None),
    ("deng_yu", "huaxing", "审计部经理", "审计部", D(2015, 10, 1), None),
    ("yuan_hui", "huaxing", "法务经理", "法务部", D(2018, 1, 2), None),
    ("liu_jianguo", "hx_smart", "总经理", "总经办", D(2009, 1, 1), None),
    ("wu_fang", "hx_smart", "财务总监", "财务部", D(2012, 4, 1), None),
    ("li_na", "hx_smart", "信息化经理", "信息部", D(2016, 7, 1), None),
    ("ma_qiang", "hx_smart", "生产部经理", "生产部", D(2010, 3, 1), None),
    # the job change: 周敏 left the supplier for the customer's purchasing department
    ("zhou_min", "dongfang", "商务经理", "销售部", D(2016, 3, 1), D(2024, 7, 1)),  # exclusive
    ("zhou_min", "hx_smart", "采购经理", "采购部", D(2024, 7, 1), None),
    ("jiang_hai", "hx_smart", "设备部主管", "设备部", D(2013, 5, 1), None),
    ("shen_lei", "hx_smart", "车间主任", "生产部", D(2014, 8, 1), None),
    ("han_xue", "hx_smart", "质量经理", "质量部", D(2015, 2, 1), None),
    ("yang_fan", "hx_smart", "MES工程师", "信息部", D(2020, 7, 1), None),
    ("zhu_peng", "hx_smart", "副总经理(技术)", "总经办", D(2011, 6, 1), None),
    ("qin_yue", "hx_smart", "总经理助理", "总经办", D(2019, 3, 1), None),
    ("lu_bin", "hx_smart", "工艺工程师", "技术部", D(2018, 9, 1), None),
    ("ning_jing", "hx_smart", "人力资源经理", "人力资源部", D(2017, 4, 1), None),
    ("gu_wenbin", "hx_suzhou", "总经理", "总经办", D(2011, 4, 20), None),
    ("pan_li", "hx_suzhou", "厂长", "生产部", D(2012, 2, 1), None),
    ("xie_chao", "hx_suzhou", "IT主管", "信息部", D(2018, 5, 1), None),
    ("peng_liang", "hx_kunshan", "分公司负责人", "管理层", D(2019, 10, 8), None),
    ("wei_dong", "hx_wuhan", "分公司经理", "管理层", D(2017, 6, 6), None),
    ("zhao_yong", "hx_tech", "总经理", "总经办", D(2015, 3, 12), None),
    ("lin_xiao", "hx_tech", "数据中心主任", "数据中心", D(2016, 1, 1), None),
    ("song_jie", "hx_tech", "网络架构师", "数据中心", D(2017, 3, 1), None),
    ("fang_qing", "hx_tech", "财务经理", "财务部", D(2015, 6, 1), None),
    ("kong_wei", "hx_tech", "运维经理", "数据中心", D(2016, 9, 1), None),
    ("bai_lu", "hx_tech", "采购专员", "采购部", D(2021, 4, 1), None),
    ("xia_ming", "hx_tech", "安全工程师", "数据中心", D(2020, 2, 1), None),
    ("sun_hao", "hx_tech", "技术总监", "研发部", D(2019, 11, 1), None),
    ("ren_jia", "hx_tech", "商务经理", "商务部", D(2018, 7, 1), None),
    ("long_tao", "hx_cloud", "总经理", "总经办", D(2018, 8, 8), None),
    ("yang_liu", "hx_cloud", "机房主管", "运维部", D(2019, 1, 1), None),
    ("ding_haifeng", "hx_jv", "总经理", "总经办", D(2021, 11, 11), None),
    ("lyu_qing", "hx_jv", "财务总监", "财务部", D(2021, 12, 1), None),
    ("shi_lei", "hx_jv", "技术总监", "技术部", D(2022, 1, 1), None),
    ("ouyang_ming", "boyuan", "董事长", "董事会", D(2001, 2, 14), None),
    ("he_lan", "boyuan", "投资部总经理", "投资部", D(2010, 5, 1), None),
    ("tian_ye", "dongfang", "销售总监", "销售部", D(2009, 1, 1), None),
    ("shao_hua", "dongfang", "大客户经理", "销售部", D(2015, 4, 1), None),
    ("jin_xin", "shenlian", "总经理", "总经办", D(2010, 12, 1), None),
    ("liang_zhiqiang", "xinglian", "总经理", "总经办", D(2013, 5, 5), None),
    ("hou_siyuan", "hengtong", "总经理", "总经办", D(2016, 9, 9), None),
    ("tao_ran", "changhe", "投资总监", "投资部", D(2016, 3, 1), None),
    ("gao_zhiyuan", "design_institute", "总工程师", "院办", D(2005, 7, 1), None),
    ("wu_bin", "design_institute", "院长", "院办", D(2003, 1, 1), None),
    ("chang_qing", "design_institute", "自动化所所长", "自动化所", D(2012, 9, 1), None),
    ("zhao_lei", "zhike", "大客户销售经理", "销售部", D(2018, 3, 1), None),
    ("zhong_wei", "zhike", "销售副总裁", "销售部", D(2011, 5, 1), None),
    ("lei_ming", "zhike", "实施经理", "交付部", D(2016, 10, 1), None),
]

# (person, manager, kind, since)
REPORTS_TO: list[tuple[str, str, str, dt.date | None]] = [
    ("zheng_hong", "huang_zhenhua", "SOLID", D(2008, 3, 1)),
    ("qian_wei", "huang_zhenhua", "SOLID", D(2010, 7, 1)),
    ("luo_yan", "huang_zhenhua", "SOLID", D(2011, 4, 1)),
    ("cao_jing", "huang_zhenhua", "SOLID", D(2013, 5, 1)),
    ("sun_li", "zheng_hong", "SOLID", D(2016, 2, 15)),
    ("he_jun", "zheng_hong", "SOLID", D(2012, 9, 1)),
    ("yuan_hui", "zheng_hong", "SOLID", D(2018, 1, 2)),
    ("xu_tao", "sun_li", "SOLID", D(2019, 6, 1)),
    ("feng_gang", "sun_li", "SOLID", D(2017, 8, 1)),
    ("tang_min", "qian_wei", "SOLID", D(2014, 3, 1)),
    ("deng_yu", "qian_wei", "SOLID", D(2015, 10, 1)),
    ("liu_jianguo", "huang_zhenhua", "SOLID", D(2009, 1, 1)),
    ("wu_fang", "liu_jianguo", "SOLID", D(2012, 4, 1)),
    ("wu_fang", "qian_wei", "DOTTED", D(2012, 4, 1)),
    ("li_na", "liu_jianguo", "SOLID", D(2016, 7, 1)),
    ("li_na", "sun_li", "DOTTED", D(2017, 1, 1)),
    ("ma_qiang", "liu_jianguo", "SOLID", D(2010, 3, 1)),
    ("zhou_min", "liu_jianguo", "SOLID", D(2024, 7, 1)),
    ("zhou_min", "he_jun", "DOTTED", D(2024, 7, 1)),
    ("zhu_peng", "liu_jianguo", "SOLID", D(2011, 6, 1)),
    ("han_xue", "liu_jianguo", "SOLID", D(2015, 2, 1)),
    ("qin_yue", "liu_jianguo", "SOLID", D(2019, 3, 1)),
    ("ning_jing", "liu_jianguo", "SOLID", D(2017, 4, 1)),
    ("jiang_hai", "ma_qiang", "SOLID", D(2013, 5, 1)),
    ("shen_lei", "ma_qiang", "SOLID", D(2014, 8, 1)),
    ("yang_fan", "li_na", "SOLID", D(2020, 7, 1)),
    ("lu_bin", "zhu_peng", "SOLID", D(2018, 9, 1)),
    ("gu_wenbin", "liu_jianguo", "SOLID", D(2011, 4, 20)),
    ("pan_li", "gu_wenbin", "SOLID", D(2012, 2, 1)),
    ("xie_chao", "gu_wenbin", "SOLID", D(2018, 5, 1)),
    ("xie_chao", "li_na", "DOTTED", D(2019, 1, 1)),
    ("peng_liang", "gu_wenbin", "SOLID", D(2019, 10, 8)),
    ("wei_dong", "liu_jianguo", "SOLID", D(2017, 6, 6)),
    ("zhao_yong", "zheng_hong", "SOLID", D(2015, 3, 12)),
    ("lin_xiao", "zhao_yong", "SOLID", D(2016, 1, 1)),
    ("sun_hao", "zhao_yong", "SOLID", D(2019, 11, 1)),
    ("fang_qing", "zhao_yong", "SOLID", D(2015, 6, 1)),
    ("fang_qing", "qian_wei", "DOTTED", D(2015, 6, 1)),
    ("ren_jia", "zhao_yong", "SOLID", D(2018, 7, 1)),
    ("bai_lu", "ren_jia", "SOLID", D(2021, 4, 1)),
    ("song_jie", "lin_xiao", "SOLID", D(2017, 3, 1)),
    ("kong_wei", "lin_xiao", "SOLID", D(2016, 9, 1)),
    ("xia_ming", "kong_wei", "SOLID", D(2020, 2, 1)),
    ("long_tao", "zhao_yong", "SOLID", D(2018, 8, 8)),
    ("yang_liu", "long_tao", "SOLID", D(2019, 1, 1)),
    ("ding_haifeng", "huang_zhenhua", "DOTTED", D(2021, 11, 11)),
    ("lyu_qing", "ding_haifeng", "SOLID", D(2021, 12, 1)),
    ("shi_lei", "ding_haifeng", "SOLID", D(2022, 1, 1)),
    ("he_lan", "ouyang_ming", "SOLID", D(2010, 5, 1)),
    ("shao_hua", "tian_ye", "SOLID", D(2015, 4, 1)),
    ("gao_zhiyuan", "wu_bin", "SOLID", D(2005, 7, 1)),
    ("chang_qing", "gao_zhiyuan", "SOLID", D(2012, 9, 1)),
    ("zhao_lei", "zhong_wei", "SOLID", D(2018, 3, 1)),
    ("lei_ming", "zhong_wei", "SOLID", D(2016, 10, 1)),
]

# Projects: key -> properties, customer key.
PROJECTS: dict[str, tuple[dict[str, Any], str]] = {
    "smart_factory": (
        {
            "name": "华星智慧工厂项目",
            "nameEn": "Huaxing smart factory",
            "stage": "PROPOSAL",
            "status": "OPEN",
            "amount": 28_000_000.0,
            "currency": "CNY",
            "expectedClose": D(2027, 3, 31),
        },
        "hx_smart",
    ),
    "dc_expansion": (
        {
            "name": "数据中心扩容",
            "nameEn": "Data centre expansion",
            "stage": "NEGOTIATION",
            "status": "OPEN",
            "amount": 12_500_000.0,
            "currency": "CNY",
            "expectedClose": D(2026, 12, 31),
        },
        "hx_tech",
    ),
    "erp_upgrade": (
        {
            "name": "集团ERP升级",
            "nameEn": "Group ERP upgrade",
            "stage": "QUALIFIED",
            "status": "OPEN",
            "amount": 8_600_000.0,
            "currency": "CNY",
            "expectedClose": D(2027, 6, 30),
        },
        "huaxing",
    ),
}

# (person, project, role, stance, concerns). The smart factory project leaves
# FINANCIAL_APPROVER unfilled; the other two fill every role.
PARTICIPATES_IN: list[tuple[str, str, str, str, str | None]] = [
    ("liu_jianguo", "smart_factory", "DECISION_MAKER", "NEUTRAL", "投资回报周期、停产切换风险"),
    ("zhu_peng", "smart_factory", "ECONOMIC_BUYER", "SUPPORTER", "分两期投入，控制在年度预算内"),
    ("li_na", "smart_factory", "TECHNICAL_EVALUATOR", "SUPPORTER", "与现有ERP的接口"),
    ("shen_lei", "smart_factory", "USER", "NEUTRAL", "一线操作是否简单"),
    ("yang_fan", "smart_factory", "CHAMPION", "SUPPORTER", None),
    ("zhou_min", "smart_factory", "GATEKEEPER", "NEUTRAL", "招标流程合规"),
    ("ma_qiang", "smart_factory", "BLOCKER", "OPPONENT", "担心更换MES影响产量，倾向现有供应商智科"),
    ("han_xue", "smart_factory", "INFLUENCER", "UNKNOWN", None),
    ("zhao_yong", "dc_expansion", "DECISION_MAKER", "SUPPORTER", "年底前上线"),
    ("ren_jia", "dc_expansion", "ECONOMIC_BUYER", "NEUTRAL", None),
    ("lin_xiao", "dc_expansion", "TECHNICAL_EVALUATOR", "SUPPORTER", "PUE 低于 1.3"),
    ("fang_qing", "dc_expansion", "FINANCIAL_APPROVER", "OPPONENT", "付款周期太短，现金流压力"),
    ("kong_wei", "dc_expansion", "USER", "SUPPORTER", None),
    ("sun_hao", "dc_expansion", "INFLUENCER", "NEUTRAL", None),
    ("song_jie", "dc_expansion", "CHAMPION", "SUPPORTER", None),
    ("bai_lu", "dc_expansion", "GATEKEEPER", "NEUTRAL", None),
    ("xia_ming", "dc_expansion", "BLOCKER", "OPPONENT", "安全等保测评未完成"),
    ("huang_zhenhua", "erp_upgrade", "DECISION_MAKER", "UNKNOWN", None),
    ("zheng_hong", "erp_upgrade", "ECONOMIC_BUYER", "SUPPORTER", "集团财务业务一体化"),
    ("sun_li", "erp_upgrade", "TECHNICAL_EVALUATOR", "NEUTRAL", "云部署还是本地部署"),
    ("qian_wei", "erp_upgrade", "FINANCIAL_APPROVER", "NEUTRAL", "三年总拥有成本"),
    ("tang_min", "erp_upgrade", "USER", "SUPPORTER", None),
    ("wu_fang", "erp_upgrade", "USER", "NEUTRAL", "子公司报表口径"),
    ("he_jun", "erp_upgrade", "INFLUENCER", "NEUTRAL", None),
    ("xu_tao", "erp_upgrade", "CHAMPION", "SUPPORTER", None),
    ("luo_yan", "erp_upgrade", "GATEKEEPER", "NEUTRAL", None),
    ("feng_gang", "erp_upgrade", "BLOCKER", "OPPONENT", "数据出境与信息安全"),
]

# (from, to, strength, polarity, basis, project scope or None)
INFLUENCES: list[tuple[str, str, float, str, str, str | None]] = [
    # The hidden influencer of the smart factory project: not a participant, but the general
    # manager trusts him more than anyone on automation choices.
    (
        "gao_zhiyuan",
        "liu_jianguo",
        0.9,
        "POSITIVE",
        "多年技术顾问，总经理最信任的专家",
        "smart_factory",
    ),
    # The opponent with high influence.
    ("ma_qiang", "liu_jianguo", 0.75, "NEGATIVE", "跟随总经理十余年的老部下", "smart_factory"),
    ("li_na", "liu_jianguo", 0.5, "POSITIVE", "信息化负责人", "smart_factory"),
    ("zhu_peng", "liu_jianguo", 0.6, "POSITIVE", "分管技术的副总", None),
    ("wu_fang", "liu_jianguo", 0.5, "POSITIVE", "财务把关", None),
    ("zhao_lei", "ma_qiang", 0.7, "POSITIVE", "竞争对手销售，多年合作关系密切", None),
    ("he_jun", "zhou_min", 0.6, "POSITIVE", "集团采购条线指导", None),
    ("zheng_hong", "huang_zhenhua", 0.8, "POSITIVE", "分管副总裁，长期搭档", None),
    ("qian_wei", "huang_zhenhua", 0.7, "POSITIVE", "财务意见", "erp_upgrade"),
    ("sun_li", "zheng_hong", 0.7, "POSITIVE", "技术选型建议", "erp_upgrade"),
    ("xu_tao", "sun_li", 0.6, "POSITIVE", "项目经理的方案汇报", "erp_upgrade"),
    ("luo_yan", "huang_zhenhua", 0.5, "POSITIVE", "安排日程、过滤信息", None),
    ("feng_gang", "sun_li", 0.4, "NEGATIVE", "安全顾虑", "erp_upgrade"),
    ("lin_xiao", "zhao_yong", 0.8, "POSITIVE", "数据中心负责人", "dc_expansion"),
    ("sun_hao", "zhao_yong", 0.6, "POSITIVE", "技术总监", "dc_expansion"),
    ("fang_qing", "zhao_yong", 0.4, "NEGATIVE", "现金流顾虑", "dc_expansion"),
    ("tao_ran", "zhao_yong", 0.5, "POSITIVE", "投资方董事", None),
    ("wu_bin", "gao_zhiyuan", 0.4, "POSITIVE", "院长", None),
    ("wang_xiulan", "liu_jianguo", 0.3, "POSITIVE", "配偶", None),
]

# (person, person, kind, since)
RELATED_TO: list[tuple[str, str, str, dt.date | None]] = [
    ("liu_jianguo", "wang_xiulan", "SPOUSE", D(1996, 10, 1)),
    ("li_na", "gao_zhiyuan", "CLASSMATE", None),  # 同济大学自动化系同门
    ("zhou_min", "tian_ye", "FORMER_COLLEAGUE", D(2016, 3, 1)),
    ("zhou_min", "shao_hua", "FORMER_COLLEAGUE", D(2016, 3, 1)),
    ("sun_hao", "lei_ming", "FORMER_COLLEAGUE", None),
    ("ma_qiang", "zhao_lei", "FRIEND", None),
    ("chen_guodong", "huang_zhenhua", "CLASSMATE", None),
    ("lin_xiao", "song_jie", "CLASSMATE", None),
]

# Our staff: key -> (name, email, team, roles, demo API key). Demo keys only: never reuse them.
USERS: dict[str, tuple[str, str, str, list[str], str]] = {
    "admin": ("演示管理员 Demo Admin", "admin@crm-demo.example", "HQ", ["ADMIN"], "demo-admin-key"),
    "zhang_wei": (
        "张伟 Zhang Wei",
        "zhang.wei@crm-demo.example",
        "EAST",
        ["SALES"],
        "demo-east-sales-key",
    ),
    "wang_fang": (
        "王芳 Wang Fang",
        "wang.fang@crm-demo.example",
        "EAST",
        ["SALES", "MANAGER"],
        "demo-east-manager-key",
    ),
    "liu_yang": (
        "刘洋 Liu Yang",
        "liu.yang@crm-demo.example",
        "WEST",
        ["SALES"],
        "demo-west-sales-key",
    ),
    "chen_jing": (
        "陈静 Chen Jing",
        "chen.jing@crm-demo.example",
        "HQ",
        ["SALES"],
        "demo-hq-sales-key",
    ),
    "huang_lei": (
        "黄磊 Huang Lei",
        "huang.lei@crm-demo.example",
        "WEST",
        ["SALES", "MANAGER"],
        "demo-west-manager-key",
    ),
    "wu_di": ("吴迪 Wu Di", "wu.di@crm-demo.example", "HQ", ["ANALYST"], "demo-analyst-key"),
    "zheng_shuang": (
        "郑爽 Zheng Shuang",
        "zheng.shuang@crm-demo.example",
        "HQ",
        ["AUDITOR"],
        "demo-auditor-key",
    ),
}

# Teams: code -> (name, parent code). Managers see their team's accounts and those of every
# team below it (graph/access.py): 王芳 sees EAST's, 黄磊 WEST's.
TEAMS: dict[str, tuple[str, str | None]] = {
    "HQ": ("总部 Headquarters", None),
    "EAST": ("华东大区 East region", "HQ"),
    "WEST": ("华西大区 West region", "HQ"),
}

# Manual shares: (account kind, account key, user, level, sharer, reason). 刘洋 (WEST) lets
# 张伟 (EAST) read 华星云 for a joint bid; EAST's own accounts stay closed to WEST.
SHARES: list[tuple[str, str, str, str, str, str]] = [
    ("company", "hx_cloud", "zhang_wei", "READ", "liu_yang", "联合投标 / joint bid"),
]

# (user, customer key, kind) where kind is "company" or "person"
OWNS: list[tuple[str, str, str]] = [
    ("chen_jing", "huaxing", "company"),
    ("zhang_wei", "hx_smart", "company"),
    ("zhang_wei", "hx_suzhou", "company"),
    ("liu_yang", "hx_tech", "company"),
    ("liu_yang", "hx_cloud", "company"),
    ("wang_fang", "hx_jv", "company"),
    ("wang_fang", "chen_guodong", "person"),
]

# (user, project, role)
ON_TEAM: list[tuple[str, str, str]] = [
    ("zhang_wei", "smart_factory", "LEAD"),
    ("wang_fang", "smart_factory", "SPONSOR"),
    ("liu_yang", "dc_expansion", "LEAD"),
    ("chen_jing", "erp_upgrade", "LEAD"),
    ("zhang_wei", "erp_upgrade", "SUPPORT"),
]

# (user, person, strength). Nobody knows 刘建国 directly: the warm path runs
# 张伟 -KNOWS-> 李娜 -CLASSMATE-> 高志远 -INFLUENCES-> 刘建国 (or 李娜 -REPORTS_TO-> 刘建国).
KNOWS: list[tuple[str, str, float]] = [
    ("zhang_wei", "li_na", 0.8),
    ("zhang_wei", "zhou_min", 0.7),
    ("zhang_wei", "yang_fan", 0.5),
    ("zhang_wei", "gu_wenbin", 0.6),
    ("wang_fang", "chen_guodong", 0.9),
    ("wang_fang", "zhu_peng", 0.4),
    ("liu_yang", "zhao_yong", 0.7),
    ("liu_yang", "lin_xiao", 0.8),
    ("liu_yang", "sun_hao", 0.5),
    ("liu_yang", "long_tao", 0.6),
    ("chen_jing", "sun_li", 0.7),
    ("chen_jing", "xu_tao", 0.8),
    ("chen_jing", "luo_yan", 0.5),
    ("chen_jing", "qian_wei", 0.3),
]

# (project, person, from, to, at, by user)
STANCE_CHANGES: list[tuple[str, str, str | None, str, dt.datetime, str]] = [
    (
        "smart_factory",
        "li_na",
        "UNKNOWN",
        "NEUTRAL",
        dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        "zhang_wei",
    ),
    (
        "smart_factory",
        "li_na",
        "NEUTRAL",
        "SUPPORTER",
        dt.datetime(2026, 6, 18, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        "zhang_wei",
    ),
    (
        "smart_factory",
        "ma_qiang",
        "NEUTRAL",
        "OPPONENT",
        dt.datetime(2026, 9, 2, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        "zhang_wei",
    ),
    (
        "dc_expansion",
        "zhao_yong",
        "NEUTRAL",
        "SUPPORTER",
        dt.datetime(2026, 7, 5, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        "liu_yang",
    ),
    (
        "dc_expansion",
        "fang_qing",
        "NEUTRAL",
        "OPPONENT",
        dt.datetime(2026, 8, 20, 16, 45, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        "liu_yang",
    ),
]

# Ids other code, tests and docs refer to.
GROUP_ID = demo_id("company", "huaxing")
SMART_MANUFACTURING_ID = demo_id("company", "hx_smart")
JOINT_VENTURE_ID = demo_id("company", "hx_jv")
SMART_FACTORY_PROJECT_ID = demo_id("project", "smart_factory")
DECISION_MAKER_ID = demo_id("person", "liu_jianguo")
HIDDEN_INFLUENCER_ID = demo_id("person", "gao_zhiyuan")
JOB_CHANGER_ID = demo_id("person", "zhou_min")
ADMIN_USER_ID = demo_id("user", "admin")
WEST_SALES_USER_ID = demo_id("user", "liu_yang")
