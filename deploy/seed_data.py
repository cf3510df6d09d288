"""A demo district: 长沙 (Changsha) around 隆平现代产业园 (Longping modern seed-industry park), 芙蓉区 430102.

Organisations, needs, results and a financing product as a bureau would see them in its first week.
Names of real institutions are used as placeholders for a demo; every posting is illustrative.
"""

ORGS = [
    {"key": "hunau", "name": "湖南农业大学", "kind": "university", "region": "430102"},
    {"key": "hnaas", "name": "湖南省农业科学院", "kind": "institute", "region": "430102"},
    {"key": "csu", "name": "中南大学", "kind": "university", "region": "430104"},
    {"key": "seedco", "name": "隆平现代产业园示范种业有限公司", "kind": "firm", "region": "430102",
     "industry_codes": ["A0511", "A0111"], "founded_year": 2012, "revenue_band": 3, "patents_held": 6},
    {"key": "agritech", "name": "长沙智慧农机装备有限公司", "kind": "firm", "region": "430121",
     "industry_codes": ["C3571"], "founded_year": 2019, "revenue_band": 1, "patents_held": 0},
    {"key": "bank", "name": "长沙银行科技支行", "kind": "financier", "region": "430102", "financier_type": "bank"},
]

RESULTS = [
    {"org": "hunau", "title": "耐高温杂交水稻新品种选育技术",
     "abstract": "利用分子标记辅助选择与高温胁迫表型鉴定，选育耐高温、高产、优质的杂交水稻新品种，适用于长江流域双季稻区。",
     "keywords": ["杂交水稻", "耐高温", "分子标记辅助选择", "新品种选育"], "discipline": "作物学", "industry_codes": ["A0111"],
     "trl": 6, "transfer_modes": ["licence", "transfer"], "price_min": 800000, "price_max": 1500000},
    {"org": "hnaas", "title": "水稻种子活力快速检测与包衣技术",
     "abstract": "建立基于电导率与图像识别的水稻种子活力快速检测方法，配套种子包衣配方，提高出苗率与种子加工质量。",
     "keywords": ["种子活力", "种子包衣", "水稻种子", "检测"], "discipline": "作物学", "industry_codes": ["A0511"],
     "trl": 7, "transfer_modes": ["licence", "joint_development"], "price_min": 300000, "price_max": 600000},
    {"org": "csu", "title": "丘陵山区小型智能插秧机北斗导航控制系统",
     "abstract": "面向丘陵山区小田块，研制基于北斗定位的插秧机自动导航与路径规划控制系统，降低人工作业强度。",
     "keywords": ["插秧机", "北斗导航", "路径规划", "丘陵山区"], "discipline": "农业工程", "industry_codes": ["C3571"],
     "trl": 5, "transfer_modes": ["joint_development", "licence"], "price_min": 2500000, "price_max": 4000000},
]

NEEDS = [
    {"org": "seedco", "title": "耐高温高产杂交水稻品种选育合作",
     "description": "近年夏季高温导致结实率下降，寻求耐高温杂交水稻育种技术与新品种许可。",
     "keywords": ["杂交水稻", "耐高温", "育种"], "industry_codes": ["A0111"], "trl_min": 5, "trl_max": 8,
     "budget_min": 500000, "budget_max": 2000000, "cooperation_modes": ["licence", "joint_development"],
     "region": "430102"},
    {"org": "seedco", "title": "种子加工质量与种子活力检测",
     "description": "需要快速检测水稻种子活力并改进包衣工艺，提升商品种子出苗率。",
     "keywords": ["种子活力", "包衣", "检测"], "industry_codes": ["A0511"], "trl_min": 6,
     "budget_max": 800000, "cooperation_modes": ["licence"], "region": "430102"},
    {"org": "agritech", "title": "插秧机自动导航技术",
     "description": "寻求适合丘陵小田块的插秧机北斗自动导航控制技术，联合开发样机。",
     "keywords": ["插秧机", "自动导航", "北斗"], "industry_codes": ["C3571"], "trl_min": 4, "trl_max": 7,
     "budget_max": 1500000, "cooperation_modes": ["joint_development"], "region": "430121"},
]

PRODUCTS = [
    {"org": "bank", "name": "知识产权质押贷", "product_type": "ip_pledge_loan", "amount_min": 500000,
     "amount_max": 10000000, "rate_min": 3.2, "rate_max": 4.5, "term_months": 36, "min_patents": 1,
     "regions": ["4301"], "collateral": "发明专利或实用新型专利质押"},
    {"org": "bank", "name": "科技信用贷", "product_type": "credit_loan", "amount_min": 200000, "amount_max": 3000000,
     "rate_min": 3.5, "rate_max": 5.0, "term_months": 24, "regions": ["4301"]},
]
