//! The incentive policy as the engine applies it: parties, rules, tiers, bonuses, limits.
//! Its strict JSON form (format `omnikpi.incentive_policy/1`) is read in [`json`]; the checks
//! that make a policy safe to apply (no two rules of a group matching one sale without a
//! priority) are in [`checks`].

mod checks;
mod history;
mod json;
mod periods;
mod validity;
#[cfg(feature = "arrow")]
pub mod workbook;

pub use history::History;
pub use periods::{Grain, Periods};
pub use validity::Validity;

use crate::attribution::Model;
use crate::error::{ErrorCode, KpiError, Result};
use crate::money::Currency;
use chrono::{NaiveDate, TimeZone};
use rust_decimal::{Decimal, RoundingStrategy};

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

/// Where a rule's percent shares are rounded: once for the pool they share, or each on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShareRounding {
    /// The pool (base × Σ percents) is rounded once and split by largest remainder, so a rule
    /// pays exactly its rounded pool (the default).
    #[default]
    Pooled,
    /// Each share is base × its percent, rounded on its own, as an ERP that rounds per party
    /// does; the shares may then sum to a minor unit more or less than the rounded pool.
    PerShare,
}

impl ShareRounding {
    /// The policy spelling.
    ///
    /// ```
    /// assert_eq!(omnikpi::incentive::ShareRounding::PerShare.name(), "per_share");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ShareRounding::Pooled => "pooled",
            ShareRounding::PerShare => "per_share",
        }
    }
}

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
    /// Delivery zones a franchisee owns (each zone has at most one owner on any day).
    pub zones: Vec<String>,
    /// The days it is paid (a store that opens or closes, a franchisee taking over a zone).
    pub valid: Validity,
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

/// A text of the policy for people (what a rule pays for): one string, or one per language
/// (`{"en": "store sale", "fr": "vente en magasin"}`), so statements in either language
/// quote it in theirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// `(language, text)`; a plain string is stored under the language `""`.
    pub texts: Vec<(String, String)>,
}

impl Description {
    /// The text in `lang`, else the plain string, else the English one, else the first.
    ///
    /// ```
    /// use omnikpi::incentive::Description;
    /// let d = Description { texts: vec![("en".into(), "store sale".into()), ("fr".into(), "vente en magasin".into())] };
    /// assert_eq!(d.in_language("fr"), "vente en magasin");
    /// assert_eq!(d.in_language("de"), "store sale");
    /// ```
    pub fn in_language(&self, lang: &str) -> &str {
        let find = |l: &str| {
            self.texts
                .iter()
                .find(|(k, _)| k == l)
                .map(|(_, t)| t.as_str())
        };
        find(lang)
            .or_else(|| find(""))
            .or_else(|| find("en"))
            .or_else(|| self.texts.first().map(|(_, t)| t.as_str()))
            .unwrap_or_default()
    }
}

/// A rule: when it applies, what it pays on, and to whom.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Unique id, quoted on every line it produces.
    pub id: String,
    /// A sentence for the explanation lines.
    pub description: Option<Description>,
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
    /// The days of the sales it pays (a rate change on a date is two rules).
    pub valid: Validity,
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
    /// `(from, multiplier)`, ascending, the first from zero: amounts of earnings, or percents
    /// of the quota when the tier reads attainment.
    pub bands: Vec<(Decimal, Decimal)>,
    /// What the bands measure: the party's earnings (`None`) or its attainment of a quota.
    pub quota: Option<Quota>,
}

/// A tier on attainment: each party's quota of credited sales per period, and the periods over
/// which attainment accumulates.
///
/// A party's credited sales are the sales (amount plus extra purchase, net of VAT when the
/// policy pays net) on which it has a line, each sale once; a refund counts negative.
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    /// Each of the tier's parties' quota per period, in the policy's currency.
    pub amounts: std::collections::BTreeMap<String, Decimal>,
    /// The periods attainment accumulates over.
    pub window: Window,
}

/// The periods over which a tier on attainment accumulates credited sales, quota and earnings.
///
/// Over a window longer than a period, each period pays the accelerator of the window to date
/// less what the window's earlier periods paid, so a refund that lowers attainment takes
/// back what the attainment no longer earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Each period on its own.
    Period,
    /// The calendar quarter to date (monthly periods).
    Quarter,
    /// The calendar year to date (monthly or quarterly periods).
    YearToDate,
}

impl Window {
    /// The policy spelling.
    pub fn name(self) -> &'static str {
        match self {
            Window::Period => "period",
            Window::Quarter => "quarter",
            Window::YearToDate => "year_to_date",
        }
    }

    /// The window a period label falls in, and how many periods of the window have begun by
    /// its end (the quota of the window to date is that many periods' quota).
    ///
    /// ```
    /// use omnikpi::incentive::Window;
    /// assert_eq!(Window::Quarter.position("2026-11"), Some(("2026-Q4".to_owned(), 2)));
    /// assert_eq!(Window::YearToDate.position("2026-11"), Some(("2026".to_owned(), 11)));
    /// assert_eq!(Window::YearToDate.position("2026-Q3"), Some(("2026".to_owned(), 3)));
    /// assert_eq!(Window::Period.position("2026-W44"), Some(("2026-W44".to_owned(), 1)));
    /// ```
    pub fn position(self, label: &str) -> Option<(String, u32)> {
        if self == Window::Period {
            return Some((label.to_owned(), 1));
        }
        let (year, rest) = label.split_once('-')?;
        let (months, quarter) = match rest.strip_prefix('Q') {
            Some(q) => (None, q.parse::<u32>().ok().filter(|q| (1..=4).contains(q))?),
            None => {
                let m = rest.parse::<u32>().ok().filter(|m| (1..=12).contains(m))?;
                (Some(m), (m.saturating_sub(1) / 3).saturating_add(1))
            }
        };
        match (self, months) {
            (Window::Quarter, Some(m)) => Some((
                format!("{year}-Q{quarter}"),
                (m.saturating_sub(1) % 3).saturating_add(1),
            )),
            (Window::YearToDate, Some(m)) => Some((year.to_owned(), m)),
            (Window::YearToDate, None) => Some((year.to_owned(), quarter)),
            _ => None,
        }
    }
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

/// Where a period's clawbacks count against a cap or a floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClawbackOrder {
    /// Clawbacks reduce the period's earnings before the limit applies: a floor can absorb a
    /// clawback, and a cap can hide one.
    Absorbed,
    /// The limit applies to the earnings of sales (and accelerator); the period's clawbacks are
    /// deducted after it, so a floor guarantees pay on sales and a clawback is always felt.
    Deducted,
}

impl ClawbackOrder {
    /// The policy spelling.
    pub fn name(self) -> &'static str {
        match self {
            ClawbackOrder::Absorbed => "absorbed",
            ClawbackOrder::Deducted => "deducted",
        }
    }
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
    /// Whether the period's clawbacks count before the limit or after it (declared).
    pub clawbacks: ClawbackOrder,
}

/// What happens to a party's negative pay in a period (clawbacks beyond its earnings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NegativeBalance {
    /// The party owes it in that period: its payable is negative (the default).
    #[default]
    Owed,
    /// The period pays zero and the balance is carried into the next period's pay, and on
    /// until earnings cover it.
    CarriedForward,
}

impl NegativeBalance {
    /// The policy spelling.
    pub fn name(self) -> &'static str {
        match self {
            NegativeBalance::Owed => "owed",
            NegativeBalance::CarriedForward => "carried_forward",
        }
    }
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
    /// Whether a rule's percent shares are rounded as one pool or each on its own.
    pub share_rounding: ShareRounding,
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
    /// Periods derived from the sales' timestamps, when the policy declares them.
    pub periods: Option<Periods>,
    /// Whether it pays net of VAT, and at which rates (`None`: on amounts as given).
    pub vat: Option<super::vat::Vat>,
    /// The days of the sales it pays (a version of a [`History`]).
    pub valid: Validity,
    /// Whether a negative period is owed or carried forward.
    pub negative_balance: NegativeBalance,
}

impl Policy {
    /// Every id a payout line can carry as its rule: rules, tiers, bonuses, `cap:<party>` or
    /// `floor:<party>` for each limit, and `negative_balance` when balances are carried forward.
    ///
    /// ```
    /// use serde_json::json;
    /// let policy = omnikpi::incentive::Policy::read(&json!({
    ///     "format": "omnikpi.incentive_policy/1", "id": "p", "version": "1", "currency": "EUR",
    ///     "parties": [{"id": "web", "kind": "channel"}],
    ///     "rules": [{"id": "web_sales", "shares": [{"party": "web", "percent": "5"}]}],
    ///     "limits": [{"party": "web", "cap": "100.00", "clawbacks": "absorbed"}],
    ///     "negative_balance": "carried_forward"
    /// }), "policy").unwrap();
    /// assert!(policy.line_rules().contains("cap:web"));
    /// assert!(policy.line_rules().contains("web_sales"));
    /// assert!(policy.line_rules().contains("negative_balance"));
    /// ```
    pub fn line_rules(&self) -> std::collections::HashSet<String> {
        let limits = self.limits.iter().flat_map(|l| {
            [("cap", l.cap), ("floor", l.floor)]
                .into_iter()
                .filter(|(_, bound)| bound.is_some())
                .map(|(bound, _)| format!("{bound}:{}", l.party))
        });
        let carried = (self.negative_balance == NegativeBalance::CarriedForward)
            .then(|| "negative_balance".to_owned());
        self.rules
            .iter()
            .map(|r| r.id.clone())
            .chain(self.tiers.iter().map(|t| t.id.clone()))
            .chain(self.bonuses.iter().map(|b| b.id.clone()))
            .chain(limits)
            .chain(carried)
            .collect()
    }

    /// The declared party `id`, if any.
    pub fn party(&self, id: &str) -> Option<&Party> {
        self.parties.iter().find(|p| p.id == id)
    }

    /// The party owning delivery zone `zone` on `day`, if any.
    pub fn zone_owner(&self, zone: &str, day: NaiveDate) -> Option<&Party> {
        self.parties
            .iter()
            .find(|p| p.valid.contains(day) && p.zones.iter().any(|z| z == zone))
    }

    /// The calendar day of `timestamp` (Unix seconds) in the policy's time zone: that of its
    /// periods, or UTC. Validity dates are read on this calendar.
    ///
    /// ```
    /// use serde_json::json;
    /// let policy = omnikpi::incentive::Policy::read(&json!({
    ///     "format": "omnikpi.incentive_policy/1", "id": "p", "version": "1", "currency": "EUR",
    ///     "periods": {"grain": "month", "time_zone": "Europe/Paris"},
    ///     "parties": [{"id": "web", "kind": "channel"}],
    ///     "rules": [{"id": "web_sales", "shares": [{"party": "web", "percent": "5"}]}]
    /// }), "policy").unwrap();
    /// // 2026-09-30T22:30:00Z is already 1 October in Paris
    /// assert_eq!(policy.day_of(1_790_807_400, "t").unwrap().to_string(), "2026-10-01");
    /// ```
    ///
    /// # Errors
    /// `invalid_timestamp` at `path` when the timestamp is out of the calendar's range.
    pub fn day_of(&self, timestamp: i64, path: &str) -> Result<NaiveDate> {
        let zone = self
            .periods
            .as_ref()
            .map_or(chrono_tz::Tz::UTC, |p| p.time_zone);
        zone.timestamp_opt(timestamp, 0)
            .single()
            .map(|t| t.date_naive())
            .ok_or_else(|| {
                KpiError::at(
                    ErrorCode::InvalidTimestamp,
                    path,
                    "is out of the calendar's range",
                )
            })
    }

    /// The position of party `id` in declared order (ties and output order follow it).
    pub fn party_rank(&self, id: &str) -> usize {
        self.parties
            .iter()
            .position(|p| p.id == id)
            .unwrap_or(usize::MAX)
    }
}
