"""The bureau's words for the ledgers' codes."""

DEAL_KIND = {"development": "技术开发", "transfer": "技术转让", "licence": "技术许可", "consulting": "技术咨询",
             "service": "技术服务", "loan": "贷款", "equity": "股权投资", "guarantee": "融资担保"}
ORG_KIND = {"firm": "企业", "university": "高校", "institute": "科研院所", "financier": "金融机构",
            "organiser": "组织机构"}
QUALIFICATION = {"high_tech_enterprise": "高新技术企业", "tech_little_giant": "科技小巨人",
                 "tech_sme": "科技型中小企业", "ip_demonstration": "知识产权示范企业"}
PATENT_TYPE = {"invention": "发明专利", "utility_model": "实用新型", "design": "外观设计"}
FINANCING_LINE = {"ip_pledge_loan": "知识产权质押贷款", "credit_loan": "信用贷款", "equity": "股权投资",
                  "guarantee": "融资担保", "leasing": "融资租赁", "insurance": "科技保险",
                  "loan": "其他贷款（未指明产品）"}
CERTIFICATE_STATE = {"valid": "有效", "expiring": "90天内到期", "expired": "已过期"}
NO_SUMMIT = "（非对接会）"
