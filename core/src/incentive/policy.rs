//! The incentive policy: its strict JSON form (format `omnikpi.incentive_policy/1`) and the
//! checks that make it safe to apply — declared parties, shares within 100%, no two rules of a
//! group matching one sale without a priority, ascending tiers.

use crate::attribution::Model;
use crate::catalog::Params;
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::{read_decimal, read_text, wrong_type, Record};
use crate::money::Currency;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The only policy format this version reads.
pub const FORMAT: &str = "omnikpi.incentive_policy/1";

/// Attribution models a share may use: the rule-based ones, which credit one sale's touches.
pub const SHARE_MODELS: [&str; 5] = [
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "position_based",
];

/// How amounts are rounded to minor units (symmetric, so a refund mirrors its sale).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Half to even (banker's rounding), the default.
    HalfEven,
    /// Half away from zero (commercial rounding).
    HalfAwayFromZero,
    /// Truncation toward zero.
    TowardZero,
}

impl Rounding {
    /// The policy spelling.
    pub fn name(self) -> &'static str {
        match self {
            Rounding::HalfEven => "half_even",
            Rounding::HalfAwayFromZero => "half_away_from_zero",
            Rounding::TowardZero => "toward_zero",
        }
    }

    /// Rounds `value` to `scale` places and pads it to exactly that scale.
    ///
    /// # Example
    /// ```
    /// use omnikpi::incentive::Rounding;
    /// use rust_decimal::Decimal;
    /// assert_eq!(Rounding::HalfEven.round(Decimal::new(4_4625, 4), 2).to_string(), "4.46");
    /// assert_eq!(Rounding::HalfAwayFromZero.round(Decimal::new(-4_4650, 4), 2).to_string(), "-4.47");
    /// ```
    pub fn round(self, value: Decimal, scale: u32) -> Decimal {
        let strategy = match self {
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
            Rounding::TowardZero => RoundingStrategy::ToZero,
        };
        let mut rounded = value.round_dp_with_strategy(scale, strategy);
        rounded.rescale(scale);
        rounded
    }
}

/// One payee: a channel, a store, a franchisee, a member of staff or a team.
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    /// Unique id, as sales and shares name it (`web`, `lille`, `franchise_nord`).
    pub id: String,
    /// `channel`, `store`, `franchisee`, `staff` or `team`.
    pub kind: String,
    /// Delivery zones a franchisee owns (each zone has at most one owner).
    pub zones: Vec<String>,
}

/// Which field of a sale names the party a share goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaleField {
    /// The channel the order was placed on.
    OriginChannel,
    /// The channel or store that fulfilled it.
    FulfilmentChannel,
    /// The franchisee owning the sale's delivery zone.
    Zone,
    /// The member of staff named on the sale.
    Staff,
}

impl SaleField {
    /// The sale field's name.
    pub fn name(self) -> &'static str {
        match self {
            SaleField::OriginChannel => "origin_channel",
            SaleField::FulfilmentChannel => "fulfilment_channel",
            SaleField::Zone => "zone",
            SaleField::Staff => "staff",
        }
    }
}

/// A share split again between the channels that touched the customer before the sale.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributionShare {
    /// The model (rule-based, default parameters unless `params` says otherwise).
    pub model: Model,
    /// Touches older than the sale minus this many seconds are ignored (exclusive bound).
    pub lookback_seconds: i64,
    /// Only touches on these channels count (all when absent).
    pub channels: Option<Vec<String>>,
    /// Who receives the share when no touch qualifies.
    pub fallback: String,
}

/// Who receives a share.
#[derive(Debug, Clone, PartialEq)]
pub enum Recipient {
    /// A declared party.
    Party(String),
    /// The party a field of the sale names.
    From(SaleField),
    /// The channels of the customer's touches, by attribution weight.
    Attribution(Box<AttributionShare>),
}

/// How much a share is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareAmount {
    /// Percent of the rule's base amount (`5` is 5%).
    Percent(Decimal),
    /// A fixed amount per sale, in the policy currency.
    Fixed(Decimal),
}

/// One share of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    /// Who receives it.
    pub recipient: Recipient,
    /// How much.
    pub amount: ShareAmount,
}

/// The sale amount a rule pays on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// The sale's amount.
    Amount,
    /// The extra purchase made at a click-and-collect pickup.
    ExtraAmount,
}

impl Base {
    /// The sale field's name.
    pub fn name(self) -> &'static str {
        match self {
            Base::Amount => "amount",
            Base::ExtraAmount => "extra_amount",
        }
    }
}

/// A lookback condition: the customer touched one of `channels` within the window before the sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineTouch {
    /// Window length in seconds (exclusive lower bound, the sale's own second included).
    pub within_seconds: i64,
    /// The channels that count as online.
    pub channels: Vec<String>,
}

/// The conditions of a rule; an absent condition matches every sale.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conditions {
    /// Origin channel in this list.
    pub origin_channel: Option<Vec<String>>,
    /// Origin channel is a declared party of one of these kinds.
    pub origin_kind: Option<Vec<String>>,
    /// Fulfilment channel in this list.
    pub fulfilment_channel: Option<Vec<String>>,
    /// Fulfilment channel is a declared party of one of these kinds.
    pub fulfilment_kind: Option<Vec<String>>,
    /// The sale is (or is not) a click-and-collect order.
    pub click_and_collect: Option<bool>,
    /// An online touch within a window before the sale.
    pub online_touch: Option<OnlineTouch>,
    /// Product category in this list.
    pub category: Option<Vec<String>>,
    /// Delivery zone in this list.
    pub zone: Option<Vec<String>>,
    /// Amount at least this (inclusive).
    pub amount_min: Option<Decimal>,
    /// Amount below this (exclusive).
    pub amount_max: Option<Decimal>,
}

/// A rule: when it applies, what it pays on, and to whom.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Unique id, quoted on every line it produces.
    pub id: String,
    /// A sentence for the explanation lines.
    pub description: Option<String>,
    /// Rules of one group compete (the highest priority wins); groups stack.
    pub group: String,
    /// Larger wins within the group.
    pub priority: Option<i64>,
    /// When it applies.
    pub when: Conditions,
    /// What it pays on.
    pub base: Base,
    /// To whom, how much.
    pub shares: Vec<Share>,
}

/// How a tier table reads a party's period earnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierMode {
    /// Each band's slice of the earnings at that band's multiplier (marginal, like tax brackets).
    Step,
    /// All earnings at the multiplier of the band the total falls in.
    Flat,
}

/// An accelerator over a period: multipliers by bands of the party's earnings.
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    /// Unique id, quoted on the adjustment lines.
    pub id: String,
    /// The parties it applies to (a party is in at most one tier).
    pub parties: Vec<String>,
    /// Step or flat.
    pub mode: TierMode,
    /// `(from, multiplier)`, ascending, the first from zero.
    pub bands: Vec<(Decimal, Decimal)>,
}

/// A period bonus on the growth of total net sales (every channel) over the previous period.
#[derive(Debug, Clone, PartialEq)]
pub struct Bonus {
    /// Unique id, quoted on the bonus lines.
    pub id: String,
    /// Percent of the growth paid as the bonus pool.
    pub percent: Decimal,
    /// The parties sharing the pool.
    pub parties: Vec<String>,
    /// Their weights (equal when absent in the policy).
    pub weights: Vec<Decimal>,
}

/// Per-period bounds on a party's pay (before bonuses).
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    /// The party.
    pub party: String,
    /// At most this per period.
    pub cap: Option<Decimal>,
    /// At least this per period (a guarantee).
    pub floor: Option<Decimal>,
}

/// A validated incentive policy.
///
/// # Example
/// ```
/// use serde_json::json;
/// let policy = omnikpi::incentive::Policy::read(&json!({
///     "format": "omnikpi.incentive_policy/1", "id": "p", "version": "1", "currency": "EUR",
///     "parties": [{"id": "web", "kind": "channel"}],
///     "rules": [{"id": "web_sales", "shares": [{"party": "web", "percent": "5"}]}]
/// }), "policy").unwrap();
/// assert_eq!(policy.rules[0].shares.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The policy's id.
    pub id: String,
    /// The policy's own version (quoted on every result).
    pub version: String,
    /// Currency of every amount.
    pub currency: Currency,
    /// Rounding to minor units.
    pub rounding: Rounding,
    /// Payees in declared order (ties of a split go to the earlier one).
    pub parties: Vec<Party>,
    /// Rules in declared order.
    pub rules: Vec<Rule>,
    /// Accelerators.
    pub tiers: Vec<Tier>,
    /// Growth bonuses.
    pub bonuses: Vec<Bonus>,
    /// Caps and floors.
    pub limits: Vec<Limit>,
    /// Refunds later than this after their sale are not clawed back (no limit when absent).
    pub clawback_window_seconds: Option<i64>,
}

const DAY: i64 = 86_400;

fn err(code: ErrorCode, path: &str, detail: impl std::fmt::Display) -> KpiError {
    KpiError::at(code, path, detail)
}

fn text_list(record: &Record, key: &str) -> Result<Option<Vec<String>>> {
    if !record.has(key) {
        return Ok(None);
    }
    let items = record.non_empty_list(key)?;
    items
        .iter()
        .map(|(path, v)| read_text(v, path))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

fn opt_decimal(record: &Record, key: &str) -> Result<Option<Decimal>> {
    if record.has(key) {
        record.decimal(key).map(Some)
    } else {
        Ok(None)
    }
}

fn days(record: &Record, key: &str) -> Result<i64> {
    let n = record.count(key)?;
    if n == 0 || n > 36_600 {
        return Err(err(
            ErrorCode::InvalidPolicy,
            &record.field_path(key),
            format!("must be between 1 and 36600 days, got {n}"),
        ));
    }
    i64::try_from(n)
        .ok()
        .and_then(|d| d.checked_mul(DAY))
        .ok_or_else(|| KpiError::overflow("a number of days"))
}

impl Policy {
    /// Reads and validates a policy found at `path` (`input.policy` in the KPI input).
    ///
    /// # Errors
    /// `unknown_field`, `missing_field`, `wrong_type` (strict shape), `invalid_policy`,
    /// `unknown_party`, `invalid_shares`, `overlapping_rules`, `duplicate_key`,
    /// `unknown_currency`, `invalid_money_scale`, `negative_amount`.
    pub fn read(value: &Value, path: &str) -> Result<Self> {
        let record = Record::new(
            value,
            path,
            &[
                "format",
                "id",
                "version",
                "description",
                "currency",
                "rounding",
                "parties",
                "rules",
                "tiers",
                "bonuses",
                "limits",
                "clawback",
            ],
        )?;
        let format = record.text("format")?;
        if format != FORMAT {
            return Err(err(
                ErrorCode::InvalidPolicy,
                &record.field_path("format"),
                format!("must be `{FORMAT}` (the format this version reads), got `{format}`"),
            ));
        }
        let id = record.text("id")?;
        let version = record.text("version")?;
        record.opt_text("description")?;
        let code = record.text("currency")?;
        let currency = Currency::lookup(&code, None, &record.field_path("currency"))?;
        let rounding = match record.opt_text("rounding")?.as_deref() {
            None | Some("half_even") => Rounding::HalfEven,
            Some("half_away_from_zero") => Rounding::HalfAwayFromZero,
            Some("toward_zero") => Rounding::TowardZero,
            Some(other) => {
                return Err(err(
                    ErrorCode::InvalidPolicy,
                    &record.field_path("rounding"),
                    format!("must be half_even, half_away_from_zero or toward_zero, got `{other}`"),
                ))
            }
        };
        let parties = read_parties(&record)?;
        let known: BTreeMap<&str, &Party> = parties.iter().map(|p| (p.id.as_str(), p)).collect();
        let party_ref = |v: &Value, p: &str| -> Result<String> {
            let id = read_text(v, p)?;
            if known.contains_key(id.as_str()) {
                Ok(id)
            } else {
                Err(err(
                    ErrorCode::UnknownParty,
                    p,
                    format!("names `{id}`, which is not a declared party"),
                ))
            }
        };
        let mut rules: Vec<Rule> = Vec::new();
        for (rpath, v) in record.non_empty_list("rules")? {
            let rule = read_rule(v, &rpath, &currency, &party_ref)?;
            if rules.iter().any(|r| r.id == rule.id) {
                return Err(err(
                    ErrorCode::DuplicateKey,
                    &format!("{rpath}.id"),
                    format!("repeats the rule id `{}`", rule.id),
                ));
            }
            rules.push(rule);
        }
        check_overlaps(&rules, &parties, &record.field_path("rules"))?;
        let tiers = read_tiers(&record, &party_ref)?;
        let bonuses = read_bonuses(&record, &party_ref)?;
        let limits = read_limits(&record, &currency, &party_ref)?;
        let clawback_window_seconds = if record.has("clawback") {
            let (cpath, v) = record.field("clawback");
            let claw = Record::new(v, &cpath, &["window_days"])?;
            if claw.has("window_days") {
                Some(days(&claw, "window_days")?)
            } else {
                None
            }
        } else {
            None
        };
        Ok(Self {
            id,
            version,
            currency,
            rounding,
            parties,
            rules,
            tiers,
            bonuses,
            limits,
            clawback_window_seconds,
        })
    }

    /// The declared party `id`, if any.
    pub fn party(&self, id: &str) -> Option<&Party> {
        self.parties.iter().find(|p| p.id == id)
    }

    /// The party owning delivery zone `zone`, if any.
    pub fn zone_owner(&self, zone: &str) -> Option<&Party> {
        self.parties
            .iter()
            .find(|p| p.zones.iter().any(|z| z == zone))
    }

    /// The position of party `id` in declared order (ties and output order follow it).
    pub fn party_rank(&self, id: &str) -> usize {
        self.parties
            .iter()
            .position(|p| p.id == id)
            .unwrap_or(usize::MAX)
    }
}

fn read_parties(record: &Record) -> Result<Vec<Party>> {
    let mut parties: Vec<Party> = Vec::new();
    let mut zones: BTreeMap<String, String> = BTreeMap::new();
    for (ppath, v) in record.non_empty_list("parties")? {
        let r = Record::new(v, &ppath, &["id", "kind", "name", "zones"])?;
        let id = r.text("id")?;
        let kind = r.text("kind")?;
        crate::input::choice(
            &kind,
            &["channel", "store", "franchisee", "staff", "team"],
            &r.field_path("kind"),
        )
        .map_err(|e| {
            KpiError::new(
                ErrorCode::InvalidPolicy,
                e.path().map(str::to_owned),
                e.message(),
            )
        })?;
        r.opt_text("name")?;
        if parties.iter().any(|p| p.id == id) {
            return Err(err(
                ErrorCode::DuplicateKey,
                &r.field_path("id"),
                format!("repeats the party id `{id}`"),
            ));
        }
        let own = text_list(&r, "zones")?.unwrap_or_default();
        for (i, zone) in own.iter().enumerate() {
            if let Some(owner) = zones.insert(zone.clone(), id.clone()) {
                return Err(err(
                    ErrorCode::DuplicateKey,
                    &format!("{}[{i}]", r.field_path("zones")),
                    format!("zone `{zone}` already belongs to `{owner}`"),
                ));
            }
        }
        parties.push(Party {
            id,
            kind,
            zones: own,
        });
    }
    Ok(parties)
}

fn read_conditions(v: &Value, path: &str, currency: &Currency) -> Result<Conditions> {
    let r = Record::new(
        v,
        path,
        &[
            "origin_channel",
            "origin_kind",
            "fulfilment_channel",
            "fulfilment_kind",
            "click_and_collect",
            "online_touch",
            "category",
            "zone",
            "amount",
        ],
    )?;
    let online_touch = if r.has("online_touch") {
        let (opath, ov) = r.field("online_touch");
        let o = Record::new(ov, &opath, &["within_days", "channels"])?;
        Some(OnlineTouch {
            within_seconds: days(&o, "within_days")?,
            channels: text_list(&o, "channels")?.unwrap_or_default(),
        })
        .filter(|t| !t.channels.is_empty())
        .ok_or_else(|| {
            err(
                ErrorCode::MissingField,
                &format!("{opath}.channels"),
                "is missing",
            )
        })
        .map(Some)?
    } else {
        None
    };
    let (amount_min, amount_max) = if r.has("amount") {
        let (apath, av) = r.field("amount");
        let a = Record::new(av, &apath, &["min", "max"])?;
        let min = opt_decimal(&a, "min")?
            .map(|m| currency.amount(m, &a.field_path("min")))
            .transpose()?;
        let max = opt_decimal(&a, "max")?
            .map(|m| currency.amount(m, &a.field_path("max")))
            .transpose()?;
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo >= hi {
                return Err(err(
                    ErrorCode::InvalidPolicy,
                    &a.field_path("max"),
                    format!("must be greater than min ({lo}), got {hi}"),
                ));
            }
        }
        (min, max)
    } else {
        (None, None)
    };
    Ok(Conditions {
        origin_channel: text_list(&r, "origin_channel")?,
        origin_kind: text_list(&r, "origin_kind")?,
        fulfilment_channel: text_list(&r, "fulfilment_channel")?,
        fulfilment_kind: text_list(&r, "fulfilment_kind")?,
        click_and_collect: r.opt_bool("click_and_collect")?,
        online_touch,
        category: text_list(&r, "category")?,
        zone: text_list(&r, "zone")?,
        amount_min,
        amount_max,
    })
}

fn read_share(
    v: &Value,
    path: &str,
    currency: &Currency,
    party_ref: &dyn Fn(&Value, &str) -> Result<String>,
) -> Result<Share> {
    let r = Record::new(
        v,
        path,
        &["party", "party_from", "attribution", "percent", "fixed"],
    )?;
    let given: Vec<&str> = ["party", "party_from", "attribution"]
        .into_iter()
        .filter(|k| r.has(k))
        .collect();
    if given.len() != 1 {
        return Err(err(
            ErrorCode::InvalidPolicy,
            path,
            "must name exactly one recipient: `party`, `party_from` or `attribution`",
        ));
    }
    let recipient = match given.first().copied() {
        Some("party") => {
            let (p, pv) = r.field("party");
            Recipient::Party(party_ref(pv, &p)?)
        }
        Some("party_from") => {
            let from = r.text("party_from")?;
            Recipient::From(match from.as_str() {
                "origin_channel" => SaleField::OriginChannel,
                "fulfilment_channel" => SaleField::FulfilmentChannel,
                "zone" => SaleField::Zone,
                "staff" => SaleField::Staff,
                other => {
                    return Err(err(
                        ErrorCode::InvalidPolicy,
                        &r.field_path("party_from"),
                        format!(
                        "must be origin_channel, fulfilment_channel, zone or staff, got `{other}`"
                    ),
                    ))
                }
            })
        }
        _ => {
            let (apath, av) = r.field("attribution");
            Recipient::Attribution(Box::new(read_attribution(av, &apath, party_ref)?))
        }
    };
    let amount = match (r.has("percent"), r.has("fixed")) {
        (true, false) => {
            let pct = r.decimal("percent")?;
            if pct <= Decimal::ZERO || pct > Decimal::ONE_HUNDRED {
                return Err(err(
                    ErrorCode::InvalidShares,
                    &r.field_path("percent"),
                    format!("must be more than 0 and at most 100, got {pct}"),
                ));
            }
            ShareAmount::Percent(pct)
        }
        (false, true) => {
            if matches!(recipient, Recipient::Attribution(_)) {
                return Err(err(
                    ErrorCode::InvalidPolicy,
                    &r.field_path("fixed"),
                    "an attribution share is a percent, not a fixed amount",
                ));
            }
            let fixed = r.decimal("fixed")?;
            if fixed.is_sign_negative() {
                return Err(err(
                    ErrorCode::NegativeAmount,
                    &r.field_path("fixed"),
                    format!("must not be negative, got {fixed}"),
                ));
            }
            ShareAmount::Fixed(currency.amount(fixed, &r.field_path("fixed"))?)
        }
        _ => {
            return Err(err(
                ErrorCode::InvalidPolicy,
                path,
                "must give exactly one of `percent` and `fixed`",
            ))
        }
    };
    Ok(Share { recipient, amount })
}

fn read_attribution(
    v: &Value,
    path: &str,
    party_ref: &dyn Fn(&Value, &str) -> Result<String>,
) -> Result<AttributionShare> {
    let r = Record::new(
        v,
        path,
        &["model", "params", "lookback_days", "channels", "fallback"],
    )?;
    let name = r.text("model")?;
    if !SHARE_MODELS.contains(&name.as_str()) {
        return Err(err(
            ErrorCode::InvalidPolicy,
            &r.field_path("model"),
            format!(
                "must be one of {} (models that credit one sale's touches), got `{name}`",
                SHARE_MODELS.join(", ")
            ),
        ));
    }
    let kpi = format!("attribution.{name}");
    let definition = crate::catalog::definition(&kpi)?;
    let given = if r.has("params") {
        r.field("params").1.clone()
    } else {
        Value::Null
    };
    let params = Params::resolve(definition, &given).map_err(|e| {
        KpiError::new(
            e.code(),
            Some(format!("{path}.{}", e.path().unwrap_or("params"))),
            e.message(),
        )
    })?;
    let model = Model::from_params(&kpi, &params)?;
    let channels = text_list(&r, "channels")?;
    if let Some(list) = &channels {
        for (i, c) in list.iter().enumerate() {
            party_ref(
                &Value::String(c.clone()),
                &format!("{}[{i}]", r.field_path("channels")),
            )?;
        }
    }
    let (fpath, fv) = r.field("fallback");
    if fv.is_null() {
        return Err(err(
            ErrorCode::MissingField,
            &fpath,
            "is missing (who is paid when no touch qualifies)",
        ));
    }
    Ok(AttributionShare {
        model,
        lookback_seconds: days(&r, "lookback_days")?,
        channels,
        fallback: party_ref(fv, &fpath)?,
    })
}

fn read_rule(
    v: &Value,
    path: &str,
    currency: &Currency,
    party_ref: &dyn Fn(&Value, &str) -> Result<String>,
) -> Result<Rule> {
    let r = Record::new(
        v,
        path,
        &[
            "id",
            "description",
            "group",
            "priority",
            "when",
            "base",
            "shares",
            "total_percent",
        ],
    )?;
    let id = r.text("id")?;
    let description = r.opt_text("description")?;
    let group = r.opt_text("group")?.unwrap_or_else(|| "main".to_owned());
    let priority = if r.has("priority") {
        let (p, pv) = r.field("priority");
        Some(
            pv.as_i64()
                .ok_or_else(|| wrong_type(&p, "an integer", pv))?,
        )
    } else {
        None
    };
    let when = if r.has("when") {
        let (wpath, wv) = r.field("when");
        read_conditions(wv, &wpath, currency)?
    } else {
        Conditions::default()
    };
    let base = match r.opt_text("base")?.as_deref() {
        None | Some("amount") => Base::Amount,
        Some("extra_amount") => Base::ExtraAmount,
        Some(other) => {
            return Err(err(
                ErrorCode::InvalidPolicy,
                &r.field_path("base"),
                format!("must be amount or extra_amount, got `{other}`"),
            ))
        }
    };
    let shares = r
        .non_empty_list("shares")?
        .iter()
        .map(|(spath, sv)| read_share(sv, spath, currency, party_ref))
        .collect::<Result<Vec<_>>>()?;
    // checked: percents are the policy author's numbers, as large as a decimal goes
    let total = shares
        .iter()
        .filter_map(|s| match s.amount {
            ShareAmount::Percent(p) => Some(p),
            ShareAmount::Fixed(_) => None,
        })
        .try_fold(Decimal::ZERO, Decimal::checked_add)
        .ok_or_else(|| KpiError::overflow("the shares of a rule"))?;
    let shares_path = r.field_path("shares");
    if total > Decimal::ONE_HUNDRED {
        return Err(err(
            ErrorCode::InvalidShares,
            &shares_path,
            format!("add up to {total}%, more than the whole sale"),
        ));
    }
    if r.has("total_percent") {
        let declared = r.decimal("total_percent")?;
        if declared != total {
            return Err(err(
                ErrorCode::InvalidShares,
                &shares_path,
                format!("add up to {total}%, but the rule declares total_percent {declared}"),
            ));
        }
    }
    Ok(Rule {
        id,
        description,
        group,
        priority,
        when,
        base,
        shares,
    })
}

/// The channels a rule can accept for one side (origin or fulfilment): `None` = any.
fn channel_set(
    list: &Option<Vec<String>>,
    kinds: &Option<Vec<String>>,
    parties: &[Party],
) -> Option<BTreeSet<String>> {
    let of_kind: Option<BTreeSet<String>> = kinds.as_ref().map(|k| {
        parties
            .iter()
            .filter(|p| k.contains(&p.kind))
            .map(|p| p.id.clone())
            .collect()
    });
    let listed: Option<BTreeSet<String>> = list.as_ref().map(|l| l.iter().cloned().collect());
    match (listed, of_kind) {
        (Some(a), Some(b)) => Some(a.intersection(&b).cloned().collect()),
        (a, b) => a.or(b),
    }
}

fn sets_meet(a: &Option<BTreeSet<String>>, b: &Option<BTreeSet<String>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.intersection(b).next().is_some(),
        _ => true,
    }
}

/// Whether some sale could satisfy the conditions of both rules.
fn may_overlap(a: &Conditions, b: &Conditions, parties: &[Party]) -> bool {
    let list = |l: &Option<Vec<String>>| -> Option<BTreeSet<String>> {
        l.as_ref().map(|v| v.iter().cloned().collect())
    };
    let origin = |c: &Conditions| channel_set(&c.origin_channel, &c.origin_kind, parties);
    let fulfil = |c: &Conditions| channel_set(&c.fulfilment_channel, &c.fulfilment_kind, parties);
    let flags_meet = match (a.click_and_collect, b.click_and_collect) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    let lo = match (a.amount_min, b.amount_min) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    let hi = match (a.amount_max, b.amount_max) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    let amounts_meet = match (lo, hi) {
        (Some(lo), Some(hi)) => lo < hi,
        _ => true,
    };
    sets_meet(&origin(a), &origin(b))
        && sets_meet(&fulfil(a), &fulfil(b))
        && sets_meet(&list(&a.category), &list(&b.category))
        && sets_meet(&list(&a.zone), &list(&b.zone))
        && flags_meet
        && amounts_meet
}

fn check_overlaps(rules: &[Rule], parties: &[Party], path: &str) -> Result<()> {
    for (j, later) in rules.iter().enumerate() {
        for (i, earlier) in rules.iter().enumerate().take(j) {
            let decided =
                matches!((earlier.priority, later.priority), (Some(x), Some(y)) if x != y);
            if earlier.group == later.group
                && !decided
                && may_overlap(&earlier.when, &later.when, parties)
            {
                return Err(err(
                    ErrorCode::OverlappingRules,
                    &format!("{path}[{j}]"),
                    format!(
                        "(`{}`) can match the same sales as `{}` ({path}[{i}]) in group `{}`; \
                         give them different priorities or disjoint conditions",
                        later.id, earlier.id, later.group
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn read_tiers(
    record: &Record,
    party_ref: &dyn Fn(&Value, &str) -> Result<String>,
) -> Result<Vec<Tier>> {
    if !record.has("tiers") {
        return Ok(Vec::new());
    }
    let mut tiers: Vec<Tier> = Vec::new();
    for (tpath, v) in record.list("tiers")? {
        let r = Record::new(
            v,
            &tpath,
            &["id", "description", "parties", "mode", "bands"],
        )?;
        let id = r.text("id")?;
        r.opt_text("description")?;
        let mut parties = Vec::new();
        for (ppath, pv) in r.non_empty_list("parties")? {
            let party = party_ref(pv, &ppath)?;
            if let Some(other) = tiers.iter().find(|t| t.parties.contains(&party)) {
                return Err(err(
                    ErrorCode::InvalidPolicy,
                    &ppath,
                    format!("`{party}` is already in tier `{}`", other.id),
                ));
            }
            parties.push(party);
        }
        let mode = match r.text("mode")?.as_str() {
            "step" => TierMode::Step,
            "flat" => TierMode::Flat,
            other => {
                return Err(err(
                    ErrorCode::InvalidPolicy,
                    &r.field_path("mode"),
                    format!("must be step or flat, got `{other}`"),
                ))
            }
        };
        let mut bands: Vec<(Decimal, Decimal)> = Vec::new();
        for (bpath, bv) in r.non_empty_list("bands")? {
            let b = Record::new(bv, &bpath, &["from", "multiplier"])?;
            let from = b.decimal("from")?;
            let multiplier = b.decimal("multiplier")?;
            if multiplier.is_sign_negative() {
                return Err(err(
                    ErrorCode::InvalidPolicy,
                    &b.field_path("multiplier"),
                    "must not be negative",
                ));
            }
            let expected_zero = bands.is_empty() && !from.is_zero();
            let not_ascending = bands.last().is_some_and(|(prev, _)| from <= *prev);
            if expected_zero || not_ascending {
                return Err(err(
                    ErrorCode::InvalidPolicy,
                    &b.field_path("from"),
                    "bands must start at 0 and ascend strictly",
                ));
            }
            bands.push((from, multiplier));
        }
        if tiers.iter().any(|t| t.id == id) {
            return Err(err(
                ErrorCode::DuplicateKey,
                &r.field_path("id"),
                format!("repeats the tier id `{id}`"),
            ));
        }
        tiers.push(Tier {
            id,
            parties,
            mode,
            bands,
        });
    }
    Ok(tiers)
}

fn read_bonuses(
    record: &Record,
    party_ref: &dyn Fn(&Value, &str) -> Result<String>,
) -> Result<Vec<Bonus>> {
    if !record.has("bonuses") {
        return Ok(Vec::new());
    }
    let mut bonuses: Vec<Bonus> = Vec::new();
    for (bpath, v) in record.list("bonuses")? {
        let r = Record::new(
            v,
            &bpath,
            &[
                "id",
                "description",
                "basis",
                "percent",
                "parties",
                "weights",
            ],
        )?;
        let id = r.text("id")?;
        r.opt_text("description")?;
        let basis = r.text("basis")?;
        if basis != "total_growth" {
            return Err(err(
                ErrorCode::InvalidPolicy,
                &r.field_path("basis"),
                format!(
                    "must be total_growth (growth of net sales over every channel), got `{basis}`"
                ),
            ));
        }
        let percent = r.decimal("percent")?;
        if percent <= Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
            return Err(err(
                ErrorCode::InvalidShares,
                &r.field_path("percent"),
                format!("must be more than 0 and at most 100, got {percent}"),
            ));
        }
        let parties = r
            .non_empty_list("parties")?
            .iter()
            .map(|(p, pv)| party_ref(pv, p))
            .collect::<Result<Vec<_>>>()?;
        let weights = if r.has("weights") {
            let w = r
                .list("weights")?
                .iter()
                .map(|(p, wv)| read_decimal(wv, p))
                .collect::<Result<Vec<_>>>()?;
            if w.len() != parties.len() {
                return Err(err(
                    ErrorCode::InvalidPolicy,
                    &r.field_path("weights"),
                    format!("has {} weights for {} parties", w.len(), parties.len()),
                ));
            }
            if w.iter().any(Decimal::is_sign_negative) || w.iter().all(Decimal::is_zero) {
                return Err(err(
                    ErrorCode::InvalidWeights,
                    &r.field_path("weights"),
                    "must be non-negative and not all zero",
                ));
            }
            w
        } else {
            vec![Decimal::ONE; parties.len()]
        };
        if bonuses.iter().any(|b| b.id == id) {
            return Err(err(
                ErrorCode::DuplicateKey,
                &r.field_path("id"),
                format!("repeats the bonus id `{id}`"),
            ));
        }
        bonuses.push(Bonus {
            id,
            percent,
            parties,
            weights,
        });
    }
    Ok(bonuses)
}

fn read_limits(
    record: &Record,
    currency: &Currency,
    party_ref: &dyn Fn(&Value, &str) -> Result<String>,
) -> Result<Vec<Limit>> {
    if !record.has("limits") {
        return Ok(Vec::new());
    }
    let mut limits: Vec<Limit> = Vec::new();
    for (lpath, v) in record.list("limits")? {
        let r = Record::new(v, &lpath, &["party", "cap", "floor"])?;
        let (ppath, pv) = r.field("party");
        let party = party_ref(pv, &ppath)?;
        let amount = |key: &str| -> Result<Option<Decimal>> {
            opt_decimal(&r, key)?
                .map(|a| {
                    if a.is_sign_negative() {
                        Err(err(
                            ErrorCode::NegativeAmount,
                            &r.field_path(key),
                            "must not be negative",
                        ))
                    } else {
                        currency.amount(a, &r.field_path(key))
                    }
                })
                .transpose()
        };
        let (cap, floor) = (amount("cap")?, amount("floor")?);
        if cap.is_none() && floor.is_none() {
            return Err(err(
                ErrorCode::MissingField,
                &r.field_path("cap"),
                "is missing (a limit needs a cap, a floor or both)",
            ));
        }
        if let (Some(c), Some(f)) = (cap, floor) {
            if f > c {
                return Err(err(
                    ErrorCode::InvalidPolicy,
                    &r.field_path("floor"),
                    format!("({f}) is above the cap ({c})"),
                ));
            }
        }
        if limits.iter().any(|l| l.party == party) {
            return Err(err(
                ErrorCode::DuplicateKey,
                &ppath,
                format!("`{party}` already has a limit"),
            ));
        }
        limits.push(Limit { party, cap, floor });
    }
    Ok(limits)
}
