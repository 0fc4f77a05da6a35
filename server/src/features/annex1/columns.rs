//! Annex 1's columns in its order, with its group headings and wording (the shared notice, from
//! its line 83), a stable key each, whether the product computes it, and its type.

/// Whether a cell holds a count or words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Number,
    Text,
}

/// Where a column's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Computed from the records up to the filing date.
    System,
    /// Typed by the filing unit.
    Entered,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub group: &'static str,
    pub parent: Option<&'static str>,
    pub heading: &'static str,
    pub kind: Kind,
    pub source: Source,
}

const fn col(
    key: &'static str,
    group: &'static str,
    parent: Option<&'static str>,
    heading: &'static str,
    kind: Kind,
    source: Source,
) -> Column {
    Column {
        key,
        group,
        parent,
        heading,
        kind,
        source,
    }
}

const G1: &str = "地方党委和政府履职情况";
const G2: &str = "照料服务达标行动开展情况";
const G3: &str = "救助寻亲服务行动开展情况";
const G4: &str = "街面巡查和综合治理行动开展情况";
const G5: &str = "落户安置行动开展情况";
const G6: &str = "源头治理行动开展情况";
const G7: &str = "干部队伍素质提升行动开展情况";
const STATIONS: Option<&str> = Some("救助管理机构监管情况");
const CARE_HOMES: Option<&str> = Some("托养机构监管情况");

use Kind::{Number, Text};
use Source::{Entered, System};

pub const COLUMNS: [Column; 27] = [
    col(
        "leadership_mechanism",
        G1,
        None,
        "县（市、区）是否成立政府负责同志牵头的领导协调机制，专项行动期间领导协调机制发挥作用情况（注明召开会议时间、研究事项）",
        Text,
        Entered,
    ),
    col(
        "leadership_guidance",
        G1,
        None,
        "县（市、区）党委政府领导对救助管理工作调研指导、解决工作中的突出困难和问题情况",
        Text,
        Entered,
    ),
    col(
        "stations_total",
        G2,
        STATIONS,
        "救助管理机构总数",
        Number,
        Entered,
    ),
    col(
        "stations_inspected",
        G2,
        STATIONS,
        "相关部门实地检查个数",
        Number,
        Entered,
    ),
    col(
        "care_homes_total",
        G2,
        CARE_HOMES,
        "托养机构总数",
        Number,
        Entered,
    ),
    col(
        "care_homes_inspected",
        G2,
        CARE_HOMES,
        "相关部门实地检查个数",
        Number,
        Entered,
    ),
    col(
        "outside_care_2020_03",
        G2,
        None,
        "截至2020年3月站外托养人数",
        Number,
        Entered,
    ),
    col(
        "brought_back",
        G2,
        None,
        "专项行动期间接回站内照料人数",
        Number,
        Entered,
    ),
    col(
        "negative_events",
        G2,
        None,
        "专项行动期间是否发生负面舆情等异常情况",
        Text,
        Entered,
    ),
    col(
        "unidentified_over_10_days",
        G3,
        None,
        "滞留超过10天（无法查明身份信息）人员数量",
        Number,
        System,
    ),
    col(
        "identified",
        G3,
        None,
        "专项行动以来查明滞留人员身份信息数量",
        Number,
        System,
    ),
    col(
        "counties_total",
        G4,
        None,
        "县（市、区）总数",
        Number,
        System,
    ),
    col(
        "counties_with_street_patrol",
        G4,
        None,
        "已建成公安、城管牵头履行街面巡查职责县（市、区）个数",
        Number,
        System,
    ),
    col(
        "stranded_2020_03",
        G5,
        None,
        "截至2020年3月滞留人员总数",
        Number,
        Entered,
    ),
    col(
        "settlement_applications",
        G5,
        None,
        "向民政部门报请安置申请人数",
        Number,
        Entered,
    ),
    col(
        "settlement_plans",
        G5,
        None,
        "民政部门向同级政府报安置方案人数",
        Number,
        Entered,
    ),
    col(
        "settled_with_hukou",
        G5,
        None,
        "政府部门批准落户安置人数",
        Number,
        Entered,
    ),
    col(
        "settled_long_term",
        G5,
        None,
        "长期安置（未落户）人数",
        Number,
        Entered,
    ),
    col(
        "stations_with_return_ledger",
        G6,
        None,
        "建立返乡人员信息台账救助管理机构个数（市级、县级分别注明）",
        Number,
        System,
    ),
    col(
        "stations_with_risk_register",
        G6,
        None,
        "建立易走失人员信息库救助管理机构个数（市级、县级分别注明）",
        Number,
        System,
    ),
    col(
        "poverty_register_with_vagrancy",
        G6,
        None,
        "脱贫攻坚建档立卡人员中有流浪乞讨经历人数",
        Number,
        Entered,
    ),
    col(
        "four_level_network",
        G6,
        None,
        "建立四级救助网络市、县（市、区）个数",
        Number,
        System,
    ),
    col("staff_total", G7, None, "干部职工总人数", Number, Entered),
    col(
        "staff_trained",
        G7,
        None,
        "参加两天以上脱产培训人数",
        Number,
        Entered,
    ),
    col(
        "staff_tested",
        G7,
        None,
        "专项行动期间参加专业水平测试职工人数",
        Number,
        Entered,
    ),
    col(
        "staff_certified",
        G7,
        None,
        "持有社会工作者证职工人数",
        Number,
        Entered,
    ),
    col(
        "pay_incentive",
        G7,
        None,
        "工资倾斜政策落实情况",
        Text,
        Entered,
    ),
];

pub fn find(key: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every heading, group and parent stands in the notice's Annex 1, whose PDF-to-text copy
    /// breaks lines inside words (`截至20` / `20年3月`): compared with white space removed.
    #[test]
    fn the_headings_are_the_annexs_words() {
        let notice = include_str!("../../../../tests/fixtures/annex1.txt");
        let flat: String = notice.chars().filter(|c| !c.is_whitespace()).collect();
        for c in COLUMNS {
            for text in [c.heading, c.group].into_iter().chain(c.parent) {
                assert!(flat.contains(text), "{text:?} is not in the annex");
            }
        }
        let keys: std::collections::HashSet<_> = COLUMNS.iter().map(|c| c.key).collect();
        assert_eq!(keys.len(), COLUMNS.len(), "keys are unique");
    }
}
