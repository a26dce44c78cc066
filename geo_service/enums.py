"""Closed vocabularies: stored codes (ASCII, checked by the database) and Chinese labels."""

from __future__ import annotations

COMPOUND_KIND = {"commodity": "商品房", "old": "老旧小区", "resettlement": "回迁安置"}
PROPERTY_SERVICE = {"professional": "专业物业", "self_managed": "自管会", "none": "无物业"}
RESIDENT_SOURCE = {"owner": "产权业主", "registered": "户籍人口", "floating": "流动人口"}
CAPTAIN_ROLE = {"building": "楼栋长", "unit": "楼道长"}
COMPLAINT_CHANNEL = {"mashangban": "码上办", "xieshangling": "协商铃", "hotline_12345": "12345热线"}
COMPLAINT_CATEGORY = {
    "property_service": "物业服务",
    "parking": "停车管理",
    "sanitation": "环境卫生",
    "noise": "噪声扰民",
    "facilities": "设施维修",
    "greenery": "绿化养护",
    "security": "安全隐患",
    "neighbour": "邻里纠纷",
    "illegal_building": "违章搭建",
    "other": "其他",
}
PETITION_CATEGORY = {
    "property": "物业管理",
    "housing": "房屋质量",
    "demolition": "征迁安置",
    "environment": "环境污染",
    "neighbour": "邻里矛盾",
    "other": "其他",
}
PETITION_CHANNEL = {"visit": "来访", "letter": "来信", "online": "网上信访", "phone": "电话"}
RETROFIT_STAGE = {
    "intent": "意向征集",
    "consultation": "协商公示",
    "approved": "审批通过",
    "construction": "施工中",
    "completed": "已完工",
}
# 三方强基指数 inputs (issue 8).
MEETING_KIND = {"deliberation": "居民议事会", "tripartite": "三方联席会议"}
DISPUTE_CATEGORY = {
    "property_fee": "物业费",
    "parking": "停车",
    "renovation": "装修",
    "noise": "噪声",
    "leak": "漏水",
    "public_space": "公共空间",
    "other": "其他",
}
DISPUTE_OUTCOME = {
    "mediated": "调解成功",
    "failed": "调解未成功",
    "referred": "转交处理",
    "pending": "处理中",
}
# Accounts (issue 5 minimum; issue 7 adds sessions, row-level security and audit).
ACCOUNT_ROLE = {
    "district_leader": "区领导",
    "street_official": "街道干部",
    "community_official": "社区干部",
    "commissioner": "小区专员",
    "planner": "规划人员",
    "admin": "管理员",
}
AREA_KIND = {"district": "全区", "street": "街道", "community": "社区", "compounds": "指定小区"}

# Compound boundaries (issue 3): where a version came from; what the boundary check finds.
BOUNDARY_SOURCE = {"initial": "初始边界", "draw": "按楼栋生成", "import": "导入"}
BOUNDARY_PROBLEM = {
    "overlap": "小区重叠",
    "building_in_none": "楼栋不在任何小区内",
    "building_in_two": "楼栋跨两个小区",
    "building_elsewhere": "楼栋落在其他小区",
    "crosses_community": "小区越出社区界线",
    "crosses_street": "小区越出街道界线",
    "invalid": "几何无效",
    "sliver": "狭长碎片",
    "gap": "小区间缝隙",
}


def check_in(column: str, vocabulary: dict[str, str]) -> str:
    """SQL CHECK expression limiting ``column`` to the vocabulary's codes."""
    codes = ", ".join(f"'{c}'" for c in vocabulary)
    return f"{column} IN ({codes})"
