//! The kinds of report people make, as Open311 services, and their attributes.

use serde_json::{Value, json};

/// One service.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    pub code: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub keywords: &'static str,
    /// Categories the service itself says (a minor alone is a minor).
    pub implied: &'static [&'static str],
    /// Always urgent, whatever the categories (danger from the weather).
    pub urgent: bool,
}

pub const SERVICES: [Service; 4] = [
    Service {
        code: "sleeping_rough",
        name: "露宿街头人员 Person sleeping rough",
        description: "Someone sleeping outdoors or in a place not meant for it: underpasses, bridges, stations, abandoned buildings.",
        keywords: "homeless,rough sleeping,流浪,露宿",
        implied: &[],
        urgent: false,
    },
    Service {
        code: "lost_or_confused",
        name: "疑似走失人员 Person who seems lost or confused",
        description: "Someone who seems not to know where they are or how to get home (dementia, mental disorder, disability).",
        keywords: "lost,confused,dementia,走失",
        implied: &[],
        urgent: false,
    },
    Service {
        code: "minor_alone",
        name: "独自在外的未成年人 Minor alone",
        description: "A child or teenager alone on the street without a guardian.",
        keywords: "child,minor,未成年人",
        implied: &["minor"],
        urgent: true,
    },
    Service {
        code: "weather_danger",
        name: "极端天气受困人员 Person in danger from cold or heat",
        description: "Someone outdoors at risk in a cold wave, heat wave or storm.",
        keywords: "cold,heat,storm,寒潮,高温",
        implied: &[],
        urgent: true,
    },
];

pub fn find(code: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.code == code)
}

/// Open311 `GET services`.
pub fn list() -> Value {
    Value::Array(
        SERVICES
            .iter()
            .map(|s| {
                json!({"service_code": s.code, "service_name": s.name, "description": s.description,
                       "metadata": true, "type": "realtime", "keywords": s.keywords, "group": "rescue"})
            })
            .collect(),
    )
}

/// The categories a request may name (`attribute[categories][]`).
pub const CATEGORIES: [(&str, &str); 5] = [
    ("minor", "未成年人 A minor"),
    ("elderly", "老年人 An elderly person"),
    (
        "mental_disorder",
        "精神障碍患者 A person with a mental disorder",
    ),
    ("disabled", "残疾人 A person with a disability"),
    ("ill_or_injured", "伤病人员 Ill or injured"),
];

/// Open311 `GET services/{code}`: the attributes that map a request onto a referral.
pub fn definition(s: &Service) -> Value {
    json!({
        "service_code": s.code,
        "attributes": [
            {"variable": true, "code": "people_count", "datatype": "number", "required": false,
             "datatype_description": "1 to 50; 1 when left out", "order": 1, "description": "How many people 人数"},
            {"variable": true, "code": "categories", "datatype": "multivaluelist", "required": false,
             "datatype_description": "any of the keys", "order": 2, "description": "Who needs help 救助对象",
             "values": CATEGORIES.iter().map(|(k, n)| json!({"key": k, "name": n})).collect::<Vec<_>>()},
        ],
    })
}
