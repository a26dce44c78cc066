"""小区 boundaries with their tripartite-governance facts."""

from geo_service import enums

from .base import COMMUNITY, STREET, Field, Layer

LAYER = Layer(
    id="compounds",
    title="小区",
    title_en="Residential compounds",
    table="compound",
    geometry_type="MultiPolygon",
    kind="housing",
    compound_key="id",
    fields=(
        Field("code", "小区代码"),
        Field("name", "小区名称"),
        Field("kind", "小区类型", vocabulary=enums.COMPOUND_KIND),
        STREET,
        COMMUNITY,
        Field("year_built", "建成年份", "integer"),
        Field("has_party_branch", "成立党组织", "boolean"),
        Field("commissioner_id", "小区专员编号", "integer"),
        Field("oc_formed", "成立业委会", "boolean"),
        Field("oc_term_end", "业委会任期届满", "date"),
        Field("oc_members", "业委会成员数", "integer"),
        Field("oc_party_share", "业委会党员占比", "number"),
        Field("property_service", "物业服务类型", vocabulary=enums.PROPERTY_SERVICE),
        Field("property_company", "物业公司"),
        Field("fee_collection_rate", "物业费收缴率", "number"),
        Field("star_rating", "物业星级", "integer"),
        Field("income_disclosed", "经营收益公开", "boolean"),
        Field("e_voting", "电子投票", "boolean"),
    ),
    min_zoom=0,
    style={"color": "#2c7fb8", "weight": 1, "fillColor": "#7fcdbb", "fillOpacity": 0.35},
    description="小区边界与三方治理信息",
)
