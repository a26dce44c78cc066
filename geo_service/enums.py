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


def check_in(column: str, vocabulary: dict[str, str]) -> str:
    """SQL CHECK expression limiting ``column`` to the vocabulary's codes."""
    codes = ", ".join(f"'{c}'" for c in vocabulary)
    return f"{column} IN ({codes})"
