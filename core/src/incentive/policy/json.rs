//! The JSON form of a policy (format `omnikpi.incentive_policy/1`), read strictly: unknown
//! fields are errors, every amount is exact, and the checks run before a policy is returned.

use super::checks::{check_overlaps, check_party_windows};
use super::{
    AttributionShare, Base, Bonus, ClawbackOrder, Conditions, Description, Limit, NegativeBalance,
    OnlineTouch, Party, Policy, Quota, Recipient, Rounding, Rule, SaleField, Share, ShareAmount,
    ShareRounding, Tier, TierMode, Validity, Window, FORMAT, SHARE_MODELS,
};
use crate::attribution::Model;
use crate::catalog::Params;
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::{read_decimal, read_text, wrong_type, Record};
use crate::money::Currency;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

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

/// The languages a description may be given in.
const DESCRIPTION_LANGUAGES: [&str; 2] = ["en", "fr"];

/// An optional description: a non-empty string, or an object of them by language (`en`, `fr`).
fn description(record: &Record, key: &str) -> Result<Option<Description>> {
    let Some(value) = record.optional(key) else {
        return Ok(None);
    };
    let path = record.field_path(key);
    let texts = match value {
        Value::Object(map) if !map.is_empty() => map
            .iter()
            .map(|(lang, text)| {
                let at = format!("{path}.{lang}");
                if !DESCRIPTION_LANGUAGES.contains(&lang.as_str()) {
                    return Err(err(
                        ErrorCode::UnknownField,
                        &at,
                        format!(
                            "is not a language of descriptions ({})",
                            DESCRIPTION_LANGUAGES.join(", ")
                        ),
                    ));
                }
                Ok((lang.clone(), read_text(text, &at)?))
            })
            .collect::<Result<Vec<_>>>()?,
        Value::Object(_) => {
            return Err(err(
                ErrorCode::EmptyInput,
                &path,
                "must hold a text in at least one language",
            ))
        }
        other => vec![(String::new(), read_text(other, &path)?)],
    };
    Ok(Some(Description { texts }))
}

fn opt_decimal(record: &Record, key: &str) -> Result<Option<Decimal>> {
    if record.has(key) {
        record.decimal(key).map(Some)
    } else {
        Ok(None)
    }
}

/// The variant of `variants` whose policy spelling (`name`) field `key` gives; `None` when the
/// field is absent, `invalid_policy` listing the spellings for any other text.
fn spelled<T: Copy>(
    record: &Record,
    key: &str,
    variants: &[T],
    name: fn(T) -> &'static str,
) -> Result<Option<T>> {
    let Some(text) = record.opt_text(key)? else {
        return Ok(None);
    };
    variants
        .iter()
        .copied()
        .find(|v| name(*v) == text)
        .map(Some)
        .ok_or_else(|| {
            let names: Vec<&str> = variants.iter().map(|v| name(*v)).collect();
            let (last, first) = names.split_last().unwrap_or((&"", &[]));
            let listed = if first.is_empty() {
                (*last).to_owned()
            } else {
                format!("{} or {last}", first.join(", "))
            };
            err(
                ErrorCode::InvalidPolicy,
                &record.field_path(key),
                format!("must be {listed}, got `{text}`"),
            )
        })
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
                "share_rounding",
                "parties",
                "rules",
                "tiers",
                "bonuses",
                "limits",
                "clawback",
                "periods",
                "vat",
                "valid_from",
                "valid_to",
                "negative_balance",
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
        description(&record, "description")?;
        let code = record.text("currency")?;
        let currency = Currency::lookup(&code, None, &record.field_path("currency"))?;
        let rounding = spelled(
            &record,
            "rounding",
            &[
                Rounding::HalfEven,
                Rounding::HalfAwayFromZero,
                Rounding::TowardZero,
            ],
            Rounding::name,
        )?
        .unwrap_or(Rounding::HalfEven);
        let share_rounding = spelled(
            &record,
            "share_rounding",
            &[ShareRounding::Pooled, ShareRounding::PerShare],
            ShareRounding::name,
        )?
        .unwrap_or_default();
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
        check_party_windows(&rules, &parties, &record.field_path("rules"))?;
        let periods = read_periods(&record)?;
        let tiers = read_tiers(&record, &party_ref, &currency, periods.as_ref())?;
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
            share_rounding,
            parties,
            rules,
            tiers,
            bonuses,
            limits,
            clawback_window_seconds,
            periods,
            vat: crate::incentive::vat::Vat::read(&record)?,
            valid: Validity::read(&record)?,
            negative_balance: spelled(
                &record,
                "negative_balance",
                &[NegativeBalance::Owed, NegativeBalance::CarriedForward],
                NegativeBalance::name,
            )?
            .unwrap_or_default(),
        })
    }
}

fn read_parties(record: &Record) -> Result<Vec<Party>> {
    let mut parties: Vec<Party> = Vec::new();
    let mut zones: BTreeMap<String, Vec<(String, Validity)>> = BTreeMap::new();
    for (ppath, v) in record.non_empty_list("parties")? {
        let r = Record::new(
            v,
            &ppath,
            &["id", "kind", "name", "zones", "valid_from", "valid_to"],
        )?;
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
        let valid = Validity::read(&r)?;
        for (i, zone) in own.iter().enumerate() {
            let owners = zones.entry(zone.clone()).or_default();
            if let Some((owner, _)) = owners.iter().find(|(_, v)| v.meets(&valid)) {
                return Err(err(
                    ErrorCode::DuplicateKey,
                    &format!("{}[{i}]", r.field_path("zones")),
                    format!("zone `{zone}` already belongs to `{owner}` on some of these days"),
                ));
            }
            owners.push((id.clone(), valid));
        }
        parties.push(Party {
            id,
            kind,
            zones: own,
            valid,
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
        let bound = |key: &str| -> Result<Option<Decimal>> {
            let path = a.field_path(key);
            match opt_decimal(&a, key)? {
                Some(m) if m.is_sign_negative() && !m.is_zero() => Err(err(
                    ErrorCode::NegativeAmount,
                    &path,
                    format!("must not be negative (an amount band of sales), got {m}"),
                )),
                Some(m) => currency.amount(m, &path).map(Some),
                None => Ok(None),
            }
        };
        let (min, max) = (bound("min")?, bound("max")?);
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
            "valid_from",
            "valid_to",
        ],
    )?;
    let id = r.text("id")?;
    let description = description(&r, "description")?;
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
    let base = spelled(&r, "base", &[Base::Amount, Base::ExtraAmount], Base::name)?
        .unwrap_or(Base::Amount);
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
        valid: Validity::read(&r)?,
    })
}

fn read_periods(record: &Record) -> Result<Option<super::Periods>> {
    if !record.has("periods") {
        return Ok(None);
    }
    let (ppath, v) = record.field("periods");
    let p = Record::new(v, &ppath, &["grain", "time_zone"])?;
    super::Periods::new(
        &p.text("grain")?,
        p.opt_text("time_zone")?.as_deref(),
        &ppath,
    )
    .map(Some)
}

fn read_tiers(
    record: &Record,
    party_ref: &dyn Fn(&Value, &str) -> Result<String>,
    currency: &Currency,
    periods: Option<&super::Periods>,
) -> Result<Vec<Tier>> {
    if !record.has("tiers") {
        return Ok(Vec::new());
    }
    let mut tiers: Vec<Tier> = Vec::new();
    for (tpath, v) in record.list("tiers")? {
        let r = Record::new(
            v,
            &tpath,
            &[
                "id",
                "description",
                "parties",
                "mode",
                "bands",
                "basis",
                "quotas",
                "window",
            ],
        )?;
        let id = r.text("id")?;
        description(&r, "description")?;
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
        let quota = read_quota(&r, &parties, currency, periods)?;
        tiers.push(Tier {
            id,
            parties,
            mode,
            bands,
            quota,
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
        description(&r, "description")?;
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

/// A tier's `basis`, `quotas` and `window`: `None` for a tier on earnings.
fn read_quota(
    tier: &Record,
    parties: &[String],
    currency: &Currency,
    periods: Option<&super::Periods>,
) -> Result<Option<Quota>> {
    let basis = tier.opt_text("basis")?;
    match basis.as_deref() {
        None | Some("earnings") => {
            if let Some(key) = ["quotas", "window"].into_iter().find(|k| tier.has(k)) {
                return Err(err(
                    ErrorCode::InvalidPolicy,
                    &tier.field_path(key),
                    "applies only to a tier with basis `attainment`",
                ));
            }
            return Ok(None);
        }
        Some("attainment") => {}
        Some(other) => {
            return Err(err(
                ErrorCode::InvalidPolicy,
                &tier.field_path("basis"),
                format!("must be earnings or attainment, got `{other}`"),
            ))
        }
    }
    let window = spelled(
        tier,
        "window",
        &[Window::Period, Window::Quarter, Window::YearToDate],
        Window::name,
    )?
    .unwrap_or(Window::Period);
    let grain = periods.map(|p| p.grain);
    let fits = match window {
        Window::Period => true,
        Window::Quarter => grain == Some(super::Grain::Month),
        Window::YearToDate => {
            matches!(grain, Some(super::Grain::Month | super::Grain::Quarter))
        }
    };
    if !fits {
        return Err(err(
            ErrorCode::InvalidPolicy,
            &tier.field_path("window"),
            format!(
                "`{}` needs the policy's periods declared with grain {}",
                window.name(),
                if window == Window::Quarter {
                    "month"
                } else {
                    "month or quarter"
                }
            ),
        ));
    }
    let (qpath, value) = tier.field("quotas");
    let Some(map) = value.as_object() else {
        return Err(if tier.has("quotas") {
            crate::input::wrong_type(&qpath, "an object of quotas by party", value)
        } else {
            err(
                ErrorCode::MissingField,
                &qpath,
                "is missing (a tier on attainment needs each party's quota)",
            )
        });
    };
    let mut amounts = std::collections::BTreeMap::new();
    for (party, v) in map {
        let at = format!("{qpath}.{party}");
        if !parties.contains(party) {
            return Err(err(
                ErrorCode::InvalidPolicy,
                &at,
                format!("`{party}` is not one of the tier's parties"),
            ));
        }
        let amount = crate::input::read_decimal(v, &at)?;
        if amount <= Decimal::ZERO {
            return Err(err(ErrorCode::InvalidPolicy, &at, "must be greater than 0"));
        }
        amounts.insert(party.clone(), currency.amount(amount, &at)?);
    }
    if let Some(missing) = parties.iter().find(|p| !amounts.contains_key(*p)) {
        return Err(err(
            ErrorCode::InvalidPolicy,
            &qpath,
            format!("has no quota for the tier's party `{missing}`"),
        ));
    }
    Ok(Some(Quota { amounts, window }))
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
        let r = Record::new(v, &lpath, &["party", "cap", "floor", "clawbacks"])?;
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
        let clawbacks = spelled(
            &r,
            "clawbacks",
            &[ClawbackOrder::Absorbed, ClawbackOrder::Deducted],
            ClawbackOrder::name,
        )?
        .ok_or_else(|| {
            err(
                ErrorCode::MissingField,
                &r.field_path("clawbacks"),
                "is missing: say whether the period's clawbacks count before the limit (absorbed: a floor can absorb them) or after it (deducted)",
            )
        })?;
        limits.push(Limit {
            party,
            cap,
            floor,
            clawbacks,
        });
    }
    Ok(limits)
}
