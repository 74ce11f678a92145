//! Wire types of schedules and calendars, and their validation into store/core types.

use chrono::NaiveDate;
use clearway_core::calendar::{Calendar, Roll};
use clearway_core::distribution::parse_date;
use clearway_core::schedules::{
    DateRules, ExRule, Frequency, Occurrence, RecordRule, DECLARATION_DEFAULT_DAYS,
    LEAD_DEFAULT_DAYS, LEAD_MAX_DAYS, OFFSET_MAX, PAYABLE_DEFAULT_DAYS,
};
use clearway_core::{Currency, FieldError, Invalid};
use clearway_store::schedules::{self as store, OccurrenceRecord, Schedule, ScheduleSpec};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::distributions::dto::{AllocationRequest, DistributionRequest};

/// Body of `POST /api/funds/{fundId}/schedules` (and, every field optional, of `PATCH`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduleRequest {
    /// MONTHLY, QUARTERLY, SEMI_ANNUAL or ANNUAL.
    pub frequency: String,
    /// As in the distribution API: `per_share` with `rate`, or `pro_rata` with `total`, and
    /// optional component ratios summing to 1.
    pub allocation: AllocationRequest,
    /// US_FED (alias ACH) or NYSE; NYSE when absent.
    #[serde(default)]
    pub calendar: Option<String>,
    /// NONE, FOLLOWING, MODIFIED_FOLLOWING or PRECEDING (for DAY_OF_MONTH); PRECEDING when absent.
    #[serde(default)]
    pub roll: Option<String>,
    /// LAST_BUSINESS_DAY (default) or DAY_OF_MONTH of the period's last month.
    #[serde(default)]
    pub record_rule: Option<String>,
    /// Day 1–31 for DAY_OF_MONTH.
    #[serde(default)]
    pub record_day: Option<i64>,
    /// Business days from declaration to record (1–60, default 5).
    #[serde(default)]
    pub declaration_business_days: Option<i64>,
    /// RECORD_DATE (default: T+1 settlement) or NONE.
    #[serde(default)]
    pub ex_rule: Option<String>,
    /// Business days from record to payable (1–60, default 3).
    #[serde(default)]
    pub payable_business_days: Option<i64>,
    /// First record date (YYYY-MM-DD).
    pub start_date: String,
    /// Last record date (YYYY-MM-DD), optional.
    #[serde(default)]
    pub end_date: Option<String>,
    /// Days ahead of the declaration date a draft is created (0–400, default 45).
    #[serde(default)]
    pub lead_days: Option<i64>,
    /// Description of each draft (the period is appended).
    #[serde(default)]
    pub description: Option<String>,
    /// The fund administrator's id of this schedule (sync's SCHEDULES rows with this
    /// `schedule_id` then compare with it); unique per organization; null unlinks.
    #[serde(default)]
    #[schema(max_length = 64, pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub administrator_schedule_id: Option<String>,
}

fn count(errors: &mut Vec<FieldError>, field: &str, v: Option<i64>, default: u32, max: u32) -> u32 {
    match v {
        None => default,
        Some(n) if (0..=i64::from(max)).contains(&n) => n as u32,
        Some(_) => {
            errors.push(FieldError::new(field, format!("must be 0 to {max}")));
            default
        }
    }
}

fn named<T: std::str::FromStr>(
    errors: &mut Vec<FieldError>,
    field: &str,
    v: Option<&str>,
    default: T,
) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    match v {
        None => Some(default),
        Some(t) => t
            .parse()
            .map_err(|e: T::Err| errors.push(FieldError::new(field, e.to_string())))
            .ok(),
    }
}

impl ScheduleRequest {
    /// Validates every field (naming each bad one) into the stored settings.
    pub fn parse(&self, currency: Currency) -> Result<ScheduleSpec, Invalid> {
        let mut errors = Vec::new();
        let frequency = named::<Frequency>(
            &mut errors,
            "frequency",
            Some(&self.frequency),
            Frequency::Monthly,
        );
        let calendar = named(
            &mut errors,
            "calendar",
            self.calendar.as_deref(),
            Calendar::Nyse,
        );
        let roll = named(&mut errors, "roll", self.roll.as_deref(), Roll::Preceding);
        let day = count(&mut errors, "recordDay", self.record_day, 0, 31);
        let record = match self.record_rule.as_deref() {
            None | Some("LAST_BUSINESS_DAY") => Some(RecordRule::LastBusinessDay),
            Some("DAY_OF_MONTH") => Some(RecordRule::DayOfMonth(day)),
            Some(other) => {
                errors.push(FieldError::new(
                    "recordRule",
                    format!("unknown rule '{other}' (LAST_BUSINESS_DAY or DAY_OF_MONTH)"),
                ));
                None
            }
        };
        let ex = match self.ex_rule.as_deref() {
            None | Some("RECORD_DATE") => Some(ExRule::RecordDate),
            Some("NONE") => Some(ExRule::None),
            Some(other) => {
                errors.push(FieldError::new(
                    "exRule",
                    format!("unknown rule '{other}' (RECORD_DATE or NONE)"),
                ));
                None
            }
        };
        let declaration_days = count(
            &mut errors,
            "declarationBusinessDays",
            self.declaration_business_days,
            DECLARATION_DEFAULT_DAYS,
            OFFSET_MAX,
        );
        let payable_days = count(
            &mut errors,
            "payableBusinessDays",
            self.payable_business_days,
            PAYABLE_DEFAULT_DAYS,
            OFFSET_MAX,
        );
        let lead_days = count(
            &mut errors,
            "leadDays",
            self.lead_days,
            LEAD_DEFAULT_DAYS,
            LEAD_MAX_DAYS,
        );
        let start = date(&mut errors, "startDate", Some(&self.start_date));
        let end = date(&mut errors, "endDate", self.end_date.as_deref());
        let description = self.description.clone().unwrap_or_default();
        if description.len() > 400 {
            errors.push(FieldError::new("description", "longer than 400 characters"));
        }
        errors.extend(allocation_errors(&self.allocation, currency));
        let admin_ref = self.administrator_schedule_id.as_deref().and_then(|id| {
            clearway_core::sync::parse_id(id)
                .map_err(|e| errors.push(FieldError::new("administratorScheduleId", e)))
                .ok()
        });
        let (
            Some(frequency),
            Some(calendar),
            Some(roll),
            Some(record),
            Some(ex),
            Some(Some(start)),
            Some(end),
        ) = (frequency, calendar, roll, record, ex, start, end)
        else {
            return Err(Invalid(errors));
        };
        let rules = DateRules {
            frequency,
            calendar,
            roll,
            record,
            declaration_days,
            ex,
            payable_days,
            start,
            end,
        };
        if let Err(mut e) = rules.check() {
            errors.append(&mut e.0);
        }
        if !errors.is_empty() {
            return Err(Invalid(errors));
        }
        let allocation = serde_json::to_value(&self.allocation).unwrap_or(Value::Null);
        Ok(ScheduleSpec {
            rules,
            lead_days,
            allocation,
            description,
            admin_ref,
        })
    }
}

/// A date field: None when invalid (error pushed), Some(None) when absent.
fn date(errors: &mut Vec<FieldError>, field: &str, v: Option<&str>) -> Option<Option<NaiveDate>> {
    match v {
        None => Some(None),
        Some(t) => parse_date(field, t)
            .map_err(|e| errors.push(e))
            .ok()
            .map(Some),
    }
}

/// The allocation checked exactly as a distribution request checks it (fixed valid dates).
fn allocation_errors(a: &AllocationRequest, currency: Currency) -> Vec<FieldError> {
    let probe = DistributionRequest {
        fund_id: String::new(),
        declaration_date: "2026-01-01".into(),
        ex_date: None,
        record_date: "2026-01-02".into(),
        payable_date: "2026-01-05".into(),
        currency: None,
        description: None,
        allocation: Some(a.clone()),
        lines: None,
        share_class: None,
        class_rates: None,
    };
    match probe.parse(currency) {
        Ok(_) => Vec::new(),
        Err(Invalid(e)) => e,
    }
}

/// The normal creation request of one occurrence's draft.
pub fn draft_request(s: &Schedule, o: &Occurrence) -> DistributionRequest {
    let label = format!(
        "{} distribution, period {}",
        s.spec
            .rules
            .frequency
            .as_str()
            .to_lowercase()
            .replace('_', "-"),
        o.period
    );
    let description = if s.spec.description.is_empty() {
        label
    } else {
        format!("{} ({label})", s.spec.description)
    };
    DistributionRequest {
        fund_id: s.fund_id.clone(),
        declaration_date: o.declaration_date.to_string(),
        ex_date: o.ex_date.map(|d| d.to_string()),
        record_date: o.record_date.to_string(),
        payable_date: o.payable_date.to_string(),
        currency: None,
        description: Some(description),
        allocation: serde_json::from_value(s.spec.allocation.clone()).ok(),
        lines: None,
        share_class: None,
        class_rates: None,
    }
}

/// A schedule.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleView {
    /// Id.
    pub id: String,
    /// Fund id.
    pub fund_id: String,
    /// ACTIVE or PAUSED.
    pub status: String,
    /// MONTHLY, QUARTERLY, SEMI_ANNUAL or ANNUAL.
    pub frequency: String,
    /// The drafts' allocation.
    #[schema(value_type = Object)]
    pub allocation: Value,
    /// US_FED or NYSE.
    pub calendar: String,
    /// Roll rule.
    pub roll: String,
    /// LAST_BUSINESS_DAY or DAY_OF_MONTH.
    pub record_rule: String,
    /// Day for DAY_OF_MONTH.
    pub record_day: Option<i64>,
    /// Business days from declaration to record.
    pub declaration_business_days: u32,
    /// RECORD_DATE or NONE.
    pub ex_rule: String,
    /// Business days from record to payable.
    pub payable_business_days: u32,
    /// First record date.
    pub start_date: String,
    /// Last record date.
    pub end_date: Option<String>,
    /// Lead time in days.
    pub lead_days: u32,
    /// Description.
    pub description: String,
    /// Created at.
    pub created_at: String,
    /// Updated at.
    pub updated_at: String,
    /// Version.
    pub version: i64,
    /// The fund administrator's id of this schedule, when sync mirrors one.
    pub administrator_schedule_id: Option<String>,
}

impl From<&Schedule> for ScheduleView {
    fn from(s: &Schedule) -> Self {
        let r = &s.spec.rules;
        let (rule, day) = store::record_rule_parts(r.record);
        ScheduleView {
            id: s.id.clone(),
            fund_id: s.fund_id.clone(),
            status: s.status.clone(),
            frequency: r.frequency.as_str().into(),
            allocation: s.spec.allocation.clone(),
            calendar: r.calendar.as_str().into(),
            roll: r.roll.as_str().into(),
            record_rule: rule.into(),
            record_day: day,
            declaration_business_days: r.declaration_days,
            ex_rule: store::ex_rule_text(r.ex).into(),
            payable_business_days: r.payable_days,
            start_date: r.start.to_string(),
            end_date: r.end.map(|d| d.to_string()),
            lead_days: s.spec.lead_days,
            description: s.spec.description.clone(),
            created_at: s.created_at.clone(),
            updated_at: s.updated_at.clone(),
            version: s.version,
            administrator_schedule_id: s.spec.admin_ref.clone(),
        }
    }
}

impl ScheduleView {
    /// The request that would recreate these settings (the base a PATCH is applied to).
    pub fn as_request(&self) -> Value {
        serde_json::json!({
            "frequency": self.frequency, "allocation": self.allocation, "calendar": self.calendar,
            "roll": self.roll, "recordRule": self.record_rule, "recordDay": self.record_day,
            "declarationBusinessDays": self.declaration_business_days, "exRule": self.ex_rule,
            "payableBusinessDays": self.payable_business_days, "startDate": self.start_date,
            "endDate": self.end_date, "leadDays": self.lead_days, "description": self.description,
            "administratorScheduleId": self.administrator_schedule_id,
        })
    }
}

/// The dates of one period.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OccurrenceDates {
    /// Period key (year-month of its last month).
    pub period: String,
    /// Declaration date.
    pub declaration_date: String,
    /// Ex-date.
    pub ex_date: Option<String>,
    /// Record date.
    pub record_date: String,
    /// Payable date.
    pub payable_date: String,
}

impl From<&Occurrence> for OccurrenceDates {
    fn from(o: &Occurrence) -> Self {
        OccurrenceDates {
            period: o.period.clone(),
            declaration_date: o.declaration_date.to_string(),
            ex_date: o.ex_date.map(|d| d.to_string()),
            record_date: o.record_date.to_string(),
            payable_date: o.payable_date.to_string(),
        }
    }
}

/// A period that has its draft.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OccurrenceView {
    /// Period key.
    pub period: String,
    /// The draft distribution.
    pub distribution_id: Option<String>,
    /// Its status now.
    pub distribution_status: Option<String>,
    /// Declaration date.
    pub declaration_date: String,
    /// Record date.
    pub record_date: String,
    /// Payable date.
    pub payable_date: String,
    /// When the draft was created.
    pub created_at: String,
}

impl From<OccurrenceRecord> for OccurrenceView {
    fn from(o: OccurrenceRecord) -> Self {
        OccurrenceView {
            period: o.period,
            distribution_id: o.distribution_id,
            distribution_status: o.distribution_status,
            declaration_date: o.declaration_date,
            record_date: o.record_date,
            payable_date: o.payable_date,
            created_at: o.created_at,
        }
    }
}

/// A schedule with its history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleDetail {
    /// The schedule.
    pub schedule: ScheduleView,
    /// Periods with their drafts, newest first.
    pub occurrences: Vec<OccurrenceView>,
}

/// The next occurrences of a schedule.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreviewView {
    /// Next periods from today, in order.
    pub items: Vec<OccurrenceDates>,
}

/// Body of `POST /api/schedules/materialize`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaterializeRequest {
    /// The day to materialize for (YYYY-MM-DD); today when absent.
    #[serde(default)]
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub as_of: Option<String>,
}

/// A draft created by materialization.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedDraft {
    /// Schedule.
    pub schedule_id: String,
    /// Period.
    pub period: String,
    /// The DRAFT distribution.
    pub distribution_id: String,
}

/// A schedule whose drafts could not be created this run.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailedSchedule {
    /// Schedule.
    pub schedule_id: String,
    /// Why.
    pub error: String,
}

/// What a materialization run did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MaterializeView {
    /// Drafts created.
    pub created: Vec<CreatedDraft>,
    /// Due periods that already had their draft.
    pub existing: usize,
    /// Schedules that failed (rolled back; retried by the next run).
    pub failed: Vec<FailedSchedule>,
}

impl From<clearway_app::schedules::Materialized> for MaterializeView {
    fn from(m: clearway_app::schedules::Materialized) -> Self {
        MaterializeView {
            created: m
                .created
                .into_iter()
                .map(|(schedule_id, period, distribution_id)| CreatedDraft {
                    schedule_id,
                    period,
                    distribution_id,
                })
                .collect(),
            existing: m.existing,
            failed: m
                .failed
                .into_iter()
                .map(|(schedule_id, error)| FailedSchedule { schedule_id, error })
                .collect(),
        }
    }
}

/// One holiday.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HolidayView {
    /// The closed date.
    pub date: String,
    /// Holiday name.
    pub name: String,
}

/// A calendar's holidays of one year.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HolidaysView {
    /// Canonical calendar name.
    pub calendar: String,
    /// Year.
    pub year: i32,
    /// Holidays in date order.
    pub holidays: Vec<HolidayView>,
}
