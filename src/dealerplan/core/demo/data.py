"""Static material for the demo data set: names, places, catalogue and note texts.

Pure data: no Django imports, no randomness. Everything here is read in a fixed order by
:mod:`dealerplan.core.demo.builder`, so the generated data only depends on the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# ---------------------------------------------------------------------------------------------
# Stores
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreSpec:
    code: str
    name: str
    city: str
    district: str  # key of DISTRICTS: where the store is, and where most customers live
    address: str
    phone: str


STORES = (
    StoreSpec(
        code="bj-cy",
        name="北京朝阳汽车销售服务有限公司",
        city="北京",
        district="朝阳",
        address="北京市朝阳区东四环中路189号",
        phone="010-85861288",
    ),
    StoreSpec(
        code="bj-tz",
        name="北京通州汽车销售服务有限公司",
        city="北京",
        district="通州",
        address="北京市通州区九棵树东路56号",
        phone="010-69571688",
    ),
)

TEAM_NAMES = ("销售一组", "销售二组", "销售三组")

# ---------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------

#: (surname, relative frequency in %), roughly the national distribution. 曾, 单, 解 and 仇 are
#: polyphonic as surnames (zeng, shan, xie, qiu) and exercise the pinyin search.
SURNAMES = (
    ("王", 7.12), ("李", 7.00), ("张", 6.74), ("刘", 5.10), ("陈", 4.61), ("杨", 3.08),
    ("黄", 2.23), ("赵", 1.96), ("吴", 1.88), ("周", 1.79), ("徐", 1.51), ("孙", 1.49),
    ("马", 1.41), ("朱", 1.29), ("胡", 1.21), ("郭", 1.16), ("何", 1.14), ("林", 1.13),
    ("高", 1.12), ("罗", 1.10), ("郑", 1.04), ("梁", 1.00), ("谢", 0.83), ("宋", 0.80),
    ("唐", 0.78), ("许", 0.72), ("韩", 0.70), ("邓", 0.69), ("冯", 0.69), ("曹", 0.67),
    ("彭", 0.65), ("曾", 0.64), ("肖", 0.63), ("田", 0.61), ("董", 0.59), ("潘", 0.56),
    ("袁", 0.56), ("蔡", 0.55), ("蒋", 0.53), ("余", 0.53), ("于", 0.52), ("杜", 0.51),
    ("叶", 0.50), ("程", 0.49), ("魏", 0.48), ("苏", 0.47), ("吕", 0.47), ("丁", 0.46),
    ("任", 0.45), ("卢", 0.44), ("姚", 0.43), ("沈", 0.43), ("钟", 0.42), ("姜", 0.41),
    ("崔", 0.40), ("谭", 0.39), ("陆", 0.38), ("范", 0.37), ("汪", 0.36), ("廖", 0.35),
    ("石", 0.34), ("金", 0.33), ("韦", 0.32), ("贾", 0.31), ("夏", 0.30), ("付", 0.30),
    ("方", 0.29), ("邹", 0.28), ("熊", 0.27), ("白", 0.27), ("孟", 0.26), ("秦", 0.26),
    ("邱", 0.25), ("侯", 0.24), ("江", 0.24), ("尹", 0.23), ("薛", 0.23), ("闫", 0.22),
    ("段", 0.21), ("雷", 0.21), ("龙", 0.20), ("黎", 0.20), ("史", 0.20), ("陶", 0.19),
    ("贺", 0.19), ("毛", 0.18), ("郝", 0.18), ("顾", 0.17), ("龚", 0.17), ("邵", 0.16),
    ("万", 0.16), ("钱", 0.15), ("武", 0.15), ("戴", 0.14), ("严", 0.14), ("孔", 0.13),
    ("常", 0.12), ("汤", 0.12), ("单", 0.10), ("解", 0.08), ("仇", 0.08),
)  # fmt: skip

#: Surnames whose reading differs from the character's everyday reading; the builder makes sure
#: each appears a few times.
POLYPHONIC_SURNAMES = ("曾", "单", "解", "仇")

GIVEN_MALE = (
    "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "斌", "鹏", "辉", "刚", "健",
    "波", "宇", "浩", "凯", "鑫", "峰", "建", "国", "志", "海", "东", "亮", "林", "俊", "博",
    "晨", "昊", "文", "华", "飞", "龙", "宏", "成", "兵", "毅", "帅", "阳", "旭", "振", "然",
)  # fmt: skip
GIVEN_FEMALE = (
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "英", "玲", "婷", "雪", "琳", "慧",
    "颖", "倩", "洁", "欣", "悦", "瑶", "晶", "萍", "红", "燕", "梅", "莉", "丹", "璐", "佳",
    "怡", "雯", "蕾", "妍", "琪", "菲", "薇", "岚", "月", "彤",
)  # fmt: skip
#: First characters of two-character given names.
GIVEN_FIRST_MALE = ("晓", "子", "志", "建", "海", "文", "俊", "宇", "一", "浩", "国", "永", "家")
GIVEN_FIRST_FEMALE = ("晓", "思", "雨", "嘉", "佳", "欣", "梦", "一", "诗", "子", "雅", "静")

# ---------------------------------------------------------------------------------------------
# Organisations and their contacts
# ---------------------------------------------------------------------------------------------

ORG_BRANDS = (
    "华信", "宏图", "鼎盛", "恒通", "金桥", "远航", "博睿", "天润", "新锐", "瑞丰", "嘉禾",
    "启明", "中科", "安泰", "德润", "汇通", "万和", "盛世", "星河", "和信", "正邦", "世纪",
    "北辰", "君安", "泰和", "鸿运", "京联", "东升", "永信", "同创", "凯越", "长青", "万邦",
    "佳禾", "明道", "睿达", "诚泰", "中恒", "华夏", "普瑞",
)  # fmt: skip
ORG_TRADES = (
    "科技", "信息技术", "物流", "建设工程", "餐饮管理", "文化传媒", "医药", "贸易",
    "汽车租赁", "物业管理", "环保科技", "教育咨询", "投资管理", "电子商务", "装饰工程",
    "机电设备", "食品", "网络科技",
)  # fmt: skip
#: (suffix, weight)
ORG_SUFFIXES = (("有限公司", 85), ("股份有限公司", 10), ("集团有限公司", 5))

CONTACT_TITLES_DECIDER = ("总经理", "董事长", "副总经理", "财务总监", "总裁")
CONTACT_TITLES_OTHER = ("行政主管", "采购经理", "办公室主任", "车队队长", "行政经理", "采购专员")
CONTACT_INTERESTS = (
    "高尔夫", "茶", "钓鱼", "足球", "篮球", "摄影", "书法", "登山", "骑行", "红酒", "京剧",
    "自驾游", "网球", "收藏",
)  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Places
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class District:
    name: str  # short name, e.g. "朝阳"
    full_name: str  # e.g. "朝阳区"
    latitude: float  # centre
    longitude: float
    weight: float  # share of customers when the store is elsewhere
    streets: tuple[str, ...]


DISTRICTS = (
    District("朝阳", "朝阳区", 39.9215, 116.4431, 14,
             ("建国路", "朝阳北路", "望京街", "酒仙桥路", "东三环中路", "劲松路", "十里堡路",
              "双桥路", "姚家园路", "安立路")),
    District("海淀", "海淀区", 39.9593, 116.2981, 12,
             ("中关村大街", "学院路", "西三环北路", "清河中街", "万泉河路", "北四环西路")),
    District("东城", "东城区", 39.9288, 116.4163, 7,
             ("东直门内大街", "王府井大街", "和平里东街", "崇文门外大街", "安定门外大街")),
    District("西城", "西城区", 39.9123, 116.3661, 7,
             ("西单北大街", "金融大街", "德胜门外大街", "广安门内大街", "月坛北街")),
    District("丰台", "丰台区", 39.8585, 116.2870, 10,
             ("丰台北路", "南三环西路", "科学城富丰路", "马家堡东路", "方庄路")),
    District("石景山", "石景山区", 39.9066, 116.2229, 4,
             ("鲁谷路", "石景山路", "阜石路", "八角西街")),
    District("通州", "通州区", 39.9097, 116.6564, 12,
             ("新华大街", "通胡大街", "九棵树东路", "梨园北街", "玉桥中路", "运河西大街")),
    District("昌平", "昌平区", 40.2207, 116.2312, 8,
             ("回龙观西大街", "天通苑北街", "府学路", "北七家镇王府街", "鼓楼南街")),
    District("大兴", "大兴区", 39.7269, 116.3410, 8,
             ("兴华大街", "黄村西大街", "亦庄文化园西路", "旧宫东路", "兴丰大街")),
    District("顺义", "顺义区", 40.1301, 116.6546, 9,
             ("府前中街", "新顺南大街", "后沙峪裕民大街", "仁和镇双河路", "站前街")),
)  # fmt: skip

#: Weight of the store's own district relative to the others (about 35% of customers).
HOME_DISTRICT_WEIGHT = 48

RESIDENTIAL_SUFFIXES = ("小区", "家园", "花园", "嘉园", "公寓", "苑")

# ---------------------------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrimSpec:
    name: str
    guide_price: Decimal
    vds: str  # VIN positions 4-8 for vehicles of this trim
    weight: float  # share within the series


@dataclass(frozen=True)
class SeriesSpec:
    name: str
    body_type: str
    weight: float  # share of our sales
    plants: str  # VIN plant codes (position 11)
    trims: tuple[TrimSpec, ...]
    is_ev: bool = False


@dataclass(frozen=True)
class BrandSpec:
    name: str
    name_en: str
    is_competitor: bool
    series: tuple[SeriesSpec, ...]
    wmi: str = ""


OWN_BRAND = BrandSpec(
    name="一汽-大众",
    name_en="FAW-Volkswagen",
    is_competitor=False,
    wmi="LFV",
    series=(
        SeriesSpec("速腾", "三厢轿车", 0.36, "CD", (
            TrimSpec("200TSI 舒适型", Decimal("139900.00"), "AJ1E2", 0.50),
            TrimSpec("280TSI 豪华型", Decimal("159900.00"), "AJ1E3", 0.35),
            TrimSpec("300TSI 旗舰型", Decimal("179900.00"), "AJ1F3", 0.15),
        )),
        SeriesSpec("迈腾", "三厢轿车", 0.22, "C", (
            TrimSpec("330TSI 领先型", Decimal("209900.00"), "AC2G4", 0.50),
            TrimSpec("380TSI 豪华型", Decimal("239900.00"), "AC2G5", 0.35),
            TrimSpec("380TSI 旗舰型", Decimal("269900.00"), "AC2H5", 0.15),
        )),
        SeriesSpec("探岳", "SUV", 0.26, "TD", (
            TrimSpec("280TSI 两驱豪华型", Decimal("209800.00"), "BE3G4", 0.60),
            TrimSpec("330TSI 四驱旗舰型", Decimal("259800.00"), "BE3H6", 0.40),
        )),
        SeriesSpec("ID.4", "纯电SUV", 0.16, "F", (
            TrimSpec("PURE+ 长续航版", Decimal("179900.00"), "CE4M1", 0.55),
            TrimSpec("PRO 长续航版", Decimal("209900.00"), "CE4M2", 0.45),
        ), is_ev=True),
    ),
)  # fmt: skip

COMPETITOR_BRANDS = (
    BrandSpec("丰田", "Toyota", True, (
        SeriesSpec("凯美瑞", "三厢轿车", 1, "", (
            TrimSpec("2.0E 精英版", Decimal("171800.00"), "", 1),
        )),
        SeriesSpec("RAV4荣放", "SUV", 1, "", (
            TrimSpec("2.0L CVT 两驱都市版", Decimal("169800.00"), "", 1),
        )),
    )),
    BrandSpec("本田", "Honda", True, (
        SeriesSpec("雅阁", "三厢轿车", 1, "", (
            TrimSpec("260TURBO 精英版", Decimal("179800.00"), "", 1),
        )),
        SeriesSpec("CR-V", "SUV", 1, "", (
            TrimSpec("240TURBO 两驱活力版", Decimal("186900.00"), "", 1),
        )),
    )),
)  # fmt: skip


@dataclass(frozen=True)
class ColorSpec:
    name: str
    code: str
    hex_value: str
    weight: float


OWN_COLORS = (
    ColorSpec("极地白", "0Q0Q", "#F4F4F2", 0.30),
    ColorSpec("深黑珍珠", "2T2T", "#1C1C1E", 0.24),
    ColorSpec("钨钢灰", "X7X7", "#5B5E62", 0.18),
    ColorSpec("月光银", "8E8E", "#B8BCC0", 0.12),
    ColorSpec("星空蓝", "H7H7", "#1F3A5F", 0.09),
    ColorSpec("国王红", "P3P3", "#8B1A1A", 0.07),
)

# ---------------------------------------------------------------------------------------------
# Texts for activities, traffic and deals. {series} and {competitor} are filled in.
# ---------------------------------------------------------------------------------------------

CALL_NOTES = (
    "电话回访，客户对{series}比较感兴趣，询问本月优惠政策",
    "客户在外地出差，约下周再联系",
    "介绍置换补贴政策，客户家里有一台老款捷达",
    "客户在对比{competitor}，比较关注油耗和保值率",
    "客户关心贷款方案，已介绍两年免息政策",
    "客户表示近期不着急，年底再考虑",
    "确认客户周末是否方便到店看车",
    "客户咨询{series}现车颜色和提车周期",
    "客户希望再便宜一些，已反馈给销售经理",
    "客户已在网上看过配置，想了解保险和上牌费用",
    "客户家人意见不一致，还在商量",
    "邀约客户参加本周六店内团购会",
)  # fmt: skip
NO_ANSWER_NOTES = ("电话无人接听", "客户正在开会，未接通", "电话关机", "占线，稍后再拨")
VISIT_NOTES = (
    "上门拜访，带去{series}最新价格表",
    "到客户公司介绍公务用车方案",
    "上门送资料，客户对{series}的空间很满意",
    "陪同客户看车位，讨论充电桩安装条件",
)
RECEPTION_NOTES = (
    "客户到店看{series}，重点了解配置和颜色",
    "客户带家人到店，二次看车",
    "到店洽谈价格，客户对精品赠送有要求",
    "客户到店对比{series}和{competitor}",
    "客户到店了解置换评估，旧车已估价",
)
TEST_DRIVE_NOTES = (
    "试驾{series}，客户对动力和静音表现满意",
    "试驾后客户觉得后排空间够用",
    "客户试驾{series}，关注辅助驾驶功能",
    "家人一起试驾，太太更喜欢白色",
)
MESSAGE_NOTES = (
    "微信发送{series}配置表和报价单",
    "发送本周末店内活动邀请",
    "微信发送节日问候",
    "发送试驾视频和车辆实拍图",
    "短信提醒客户预约的到店时间",
)
ORDER_NOTES = ("签订购车合同，交定金", "客户到店签约，确定颜色和精品", "订车成功，约定交车时间")
DELIVERY_NOTES = (
    "交车仪式，讲解车辆功能和保养常识",
    "客户提车，已完成上牌",
    "交车，赠送脚垫和行车记录仪",
)
AFTERCARE_NOTES = (
    "交车后回访，客户对车辆和服务满意",
    "提醒客户首保时间",
    "回访，客户推荐了一位同事来看车",
    "保养提醒，客户约下周到店",
)
LOST_NOTES = (
    "客户已购买{competitor}，暂时没有需求",
    "客户预算不够，放弃购车",
    "客户决定推迟购车计划",
    "客户在其他店买了，价格差距较大",
)
CANCEL_NOTES = ("客户取消订单，定金已退", "客户家里有变故，取消订单")

NEXT_STEPS_HOT = (
    "约定周六到店签约",
    "发送最终报价单",
    "确认贷款审批结果",
    "准备合同和精品清单",
    "邀请客户带家人再试驾一次",
)
NEXT_STEPS = (
    "发送报价单",
    "邀约周末到店试驾",
    "跟进贷款方案",
    "发送车型配置表",
    "三天后再次电话跟进",
    "邀约参加团购会",
    "了解置换旧车情况",
    "确认客户购车时间",
)
NEXT_STEPS_ORDERED = ("确认到车时间", "通知客户准备尾款", "预约交车时间", "办理上牌手续")
NEXT_STEPS_OWNER = ("首保提醒", "邀请参加车主活动", "续保提醒", "")

TRAFFIC_NOTES = (
    "",
    "",
    "",
    "看{series}，对价格比较关心",
    "只是路过看看",
    "询问现车和颜色",
    "来店试驾{series}",
    "对比{competitor}",
    "了解置换政策",
)

CUSTOMER_NOTES = (
    "家里有一辆老款捷达，考虑置换",
    "孩子上小学，需要接送，看重后排空间",
    "单位附近有充电桩",
    "周末才有时间到店",
    "比较看重保值率",
    "太太拍板，需要一起到店",
    "老客户介绍",
    "在汽车之家留的线索",
)

FLEET_DEAL_PURPOSES = (
    "公务用车采购",
    "员工通勤用车",
    "商务接待用车",
    "网约车运营车辆",
    "新能源公务车",
)

# ---------------------------------------------------------------------------------------------
# Phones and pipelines
# ---------------------------------------------------------------------------------------------

#: Mobile prefixes (first three digits) with a relative weight.
MOBILE_PREFIXES = (
    *((f"13{d}", 3.5) for d in range(10)),
    *((f"15{d}", 2.8) for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)),
    *((f"18{d}", 2.5) for d in range(10)),
    *((f"17{d}", 1.4) for d in (3, 5, 6, 7, 8)),
    *((f"19{d}", 2.0) for d in (1, 5, 8, 9)),
)


@dataclass(frozen=True)
class StageSpec:
    name: str
    probability: int
    follow_up_days: int | None = None
    is_won: bool = False
    is_lost: bool = False


RETAIL_PIPELINE = "零售"
RETAIL_STAGES = (
    StageSpec("意向", 10, 7),
    StageSpec("试驾", 30, 5),
    StageSpec("报价", 50, 3),
    StageSpec("订单", 90, None, is_won=True),
    StageSpec("战败", 0, None, is_lost=True),
)
FLEET_PIPELINE = "大客户/招投标"
FLEET_STAGES = (
    StageSpec("前期设计", 10, 7),
    StageSpec("投标", 30, 14),
    StageSpec("深化设计", 50, 14),
    StageSpec("签约", 70, 14),
    StageSpec("备货执行", 85, 14),
    StageSpec("验收", 95, 14),
    StageSpec("回款", 100, 14, is_won=True),
    StageSpec("未中标", 0, None, is_lost=True),
)

# ---------------------------------------------------------------------------------------------
# Order extras: accessories (装潢), insurance (保险), car loans (车贷), trade-ins (置换)
# ---------------------------------------------------------------------------------------------

#: (name, usual price in yuan, cost as a share of the price)
ACCESSORIES = (
    ("全车隐形车衣", 6800, 0.45),
    ("前挡+侧窗隔热膜", 3200, 0.40),
    ("行车记录仪（前后双录）", 1280, 0.55),
    ("全包围脚垫", 880, 0.35),
    ("底盘装甲", 1500, 0.30),
    ("真皮座套", 2600, 0.50),
    ("后备箱垫", 480, 0.35),
    ("360°全景影像", 4500, 0.60),
    ("晴雨挡", 360, 0.30),
    ("镀晶封釉", 1800, 0.25),
)

#: (company, policy number prefix, weight)
INSURERS = (
    ("中国人民财产保险", "PDAA", 34),
    ("中国平安财产保险", "ADZA", 30),
    ("中国太平洋财产保险", "AYIZ", 20),
    ("中华联合财产保险", "ZHLH", 8),
    ("大地财产保险", "DDBX", 8),
)

#: (lender, weight)
LENDERS = (
    ("大众汽车金融（中国）有限公司", 45),
    ("中国工商银行", 15),
    ("中国建设银行", 12),
    ("招商银行", 10),
    ("平安银行", 10),
    ("上汽通用汽车金融", 8),
)

#: Cars people trade in: (model, earliest model year, latest model year)
TRADE_IN_CARS = (
    ("丰田 卡罗拉 1.6L", 2012, 2019),
    ("本田 思域 1.5T", 2014, 2020),
    ("大众 朗逸 1.6L", 2013, 2020),
    ("大众 宝来 1.5L", 2014, 2020),
    ("日产 轩逸 1.6L", 2012, 2019),
    ("别克 英朗 1.5L", 2015, 2020),
    ("现代 朗动 1.6L", 2012, 2017),
    ("福特 福克斯 1.6L", 2012, 2018),
    ("大众 速腾 1.4T", 2014, 2019),
    ("哈弗 H6 1.5T", 2015, 2020),
)

# ---------------------------------------------------------------------------------------------
# Plans (年度/月度销售计划) and the showroom visits that phone appointments lead to
# ---------------------------------------------------------------------------------------------

#: Notes of the store's year plan; {year} is the plan's year.
YEAR_PLAN_NOTES = "{year}年度销售计划：按上年各月实际销量和销售顾问个人业绩分解到月、到人"
#: A showroom visit the customer booked on the phone (邀约到店).
APPOINTMENT_VISIT_NOTES = (
    "客户按约到店看{series}，介绍配置并报价",
    "邀约到店，客户试乘后对{series}比较满意",
    "客户如约到店，重点对比{series}和{competitor}",
    "按预约到店，客户带家人一起看车",
    "客户按约到店，详细了解贷款方案",
)
