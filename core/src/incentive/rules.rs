//! The rules a sale wins and the lines they pay: conditions, touch windows, shares,
//! attribution-weighted shares, rounding.

use super::explanation::{
    Language, ATTRIBUTED, FALLBACK, FIXED_SHARE, LEFTOVER, NET_OF_VAT, PER_SHARE, POOL_SHARE,
    SINGLE_SHARE, TO_FIELD,
};
use super::policy::{
    AttributionShare, Base, Party, Policy, Recipient, Rule, SaleField, ShareAmount, ShareRounding,
};
use super::sale::{CustomerTouch, Sale};
use crate::error::{ErrorCode, KpiError, Result};
use crate::money::{allocate, split_units};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

// ----------------------------------------------------------------------------- engine

pub(super) struct Engine<'a> {
    pub(super) policy: &'a Policy,
    /// Touches per customer, sorted by time (stable: input order among equal times).
    pub(super) touches: BTreeMap<&'a str, Vec<&'a CustomerTouch>>,
    pub(super) minor: u32,
    /// Appended to every line's explanation: the policy version, in a history of several.
    pub(super) note: String,
    /// The language explanations are written in.
    pub(super) lang: Language,
}

pub(super) fn overflow() -> KpiError {
    KpiError::overflow("an incentive amount")
}

pub(super) fn add(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(overflow)
}

/// The checked sum of amounts.
pub(super) fn sum_money(amounts: impl Iterator<Item = Decimal>) -> Result<Decimal> {
    amounts.into_iter().try_fold(Decimal::ZERO, add)
}

pub(super) fn percent_of(amount: Decimal, percent: Decimal) -> Result<Decimal> {
    amount
        .checked_mul(percent)
        .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED))
        .ok_or_else(overflow)
}

impl<'a> Engine<'a> {
    pub(super) fn round(&self, value: Decimal) -> Decimal {
        self.policy.rounding.round(value, self.minor)
    }

    pub(super) fn money(&self, value: Decimal) -> String {
        let amount = self.lang.number(&self.round(value).to_string());
        format!("{amount} {}", self.policy.currency.code())
    }

    /// A number (a percent, a base, a ratio's terms) as the explanation's language writes it.
    pub(super) fn num(&self, value: impl std::fmt::Display) -> String {
        self.lang.number(&value.to_string())
    }

    /// An exact intermediate value (a percent of a base, a refund's share of a rule) as an
    /// explanation shows it: exact up to four places beyond the minor unit, else rounded
    /// there and marked `≈`, so a reader sees `≈0.795504`, not 28 digits.
    pub(super) fn shown(&self, value: Decimal) -> String {
        self.lang.number(&shown(value, self.minor))
    }

    pub(super) fn matches(&self, rule: &Rule, sale: &Sale) -> bool {
        let w = &rule.when;
        let in_list = |list: &Option<Vec<String>>, value: &Option<String>| match list {
            None => true,
            Some(list) => value.as_ref().is_some_and(|v| list.contains(v)),
        };
        let of_kind = |kinds: &Option<Vec<String>>, value: &Option<String>| match kinds {
            None => true,
            Some(kinds) => value
                .as_deref()
                .and_then(|v| self.policy.party(v))
                .is_some_and(|p| kinds.contains(&p.kind)),
        };
        let base_positive = match rule.base {
            Base::Amount => true,
            Base::ExtraAmount => sale.extra_amount > Decimal::ZERO,
        };
        base_positive
            && rule.valid.contains(sale.day)
            && in_list(&w.origin_channel, &sale.origin)
            && of_kind(&w.origin_kind, &sale.origin)
            && in_list(&w.fulfilment_channel, &sale.fulfilment)
            && of_kind(&w.fulfilment_kind, &sale.fulfilment)
            && w.click_and_collect
                .is_none_or(|flag| flag == sale.click_and_collect)
            && in_list(&w.category, &sale.category)
            && in_list(&w.zone, &sale.zone)
            && w.amount_min.is_none_or(|min| sale.amount >= min)
            && w.amount_max.is_none_or(|max| sale.amount < max)
            && w.online_touch.as_ref().is_none_or(|t| {
                self.window(sale, t.within_seconds, Some(&t.channels))
                    .next()
                    .is_some()
            })
    }

    /// The customer's touches on `channels` (all when `None`) in `(sale - seconds, sale]`.
    pub(super) fn window<'s>(
        &'s self,
        sale: &'s Sale,
        seconds: i64,
        channels: Option<&'s Vec<String>>,
    ) -> impl Iterator<Item = &'a CustomerTouch> + 's {
        let from = sale.timestamp.saturating_sub(seconds);
        sale.customer
            .as_deref()
            .and_then(|c| self.touches.get(c))
            .into_iter()
            .flatten()
            .copied()
            .filter(move |t| {
                t.timestamp > from
                    && t.timestamp <= sale.timestamp
                    && channels.is_none_or(|list| list.contains(&t.channel))
            })
    }

    /// The winning rule of each group, in group order of first declaration.
    pub(super) fn winners(&self, sale: &Sale) -> Vec<&'a Rule> {
        let mut groups: Vec<&str> = Vec::new();
        for rule in &self.policy.rules {
            if !groups.contains(&rule.group.as_str()) {
                groups.push(&rule.group);
            }
        }
        groups
            .iter()
            .filter_map(|g| {
                self.policy
                    .rules
                    .iter()
                    .filter(|r| r.group == *g && self.matches(r, sale))
                    // the highest priority; among equals (disjoint by validation) the first
                    .reduce(|best, r| if r.priority > best.priority { r } else { best })
            })
            .collect()
    }

    pub(super) fn resolve(&self, field: SaleField, sale: &Sale) -> Result<String> {
        let value = match field {
            SaleField::OriginChannel => &sale.origin,
            SaleField::FulfilmentChannel => &sale.fulfilment,
            SaleField::Zone => &sale.zone,
            SaleField::Staff => &sale.staff,
        };
        let path = format!("{}.{}", sale.path, field.name());
        let value = value.as_deref().ok_or_else(|| {
            KpiError::at(
                ErrorCode::MissingField,
                &path,
                "is missing (a share of the matching rule is paid to the party it names)",
            )
        })?;
        let party = match field {
            SaleField::Zone => self.policy.zone_owner(value, sale.day),
            _ => self.policy.party(value),
        };
        let unknown = |detail: String| KpiError::at(ErrorCode::UnknownParty, &path, detail);
        match (party, field) {
            (Some(p), _) => self.in_force(p, sale, &path).map(|()| p.id.clone()),
            (None, SaleField::Zone) => Err(unknown(format!(
                "is zone `{value}`, which no declared party owns on {}",
                sale.day
            ))),
            (None, _) => Err(unknown(format!(
                "is `{value}`, which is not a declared party"
            ))),
        }
    }

    /// `Ok` when `party` is in force on the sale's day; otherwise `unknown_party` at `path`.
    pub(super) fn in_force(&self, party: &Party, sale: &Sale, path: &str) -> Result<()> {
        if party.valid.contains(sale.day) {
            return Ok(());
        }
        Err(KpiError::at(
            ErrorCode::UnknownParty,
            path,
            format!(
                "is `{}`, a party {}, but {} is dated {}",
                party.id,
                party.valid.describe(),
                sale.id,
                sale.day
            ),
        ))
    }

    /// The lines of `rule` on an original sale.
    pub(super) fn rule_lines(
        &self,
        rule: &Rule,
        sale: &Sale,
    ) -> Result<Vec<(String, Decimal, String)>> {
        let base = match rule.base {
            Base::Amount => sale.amount,
            Base::ExtraAmount => sale.extra_amount,
        };
        let mut about = rule.description.as_ref().map_or_else(String::new, |d| {
            format!(" ({})", d.in_language(self.lang.code()))
        });
        if rule.valid.is_dated() {
            about.push_str(&format!(" ({})", self.lang.validity(&rule.valid)));
        }
        about.push_str(&self.note);
        if let Some(vat) = &sale.vat {
            let gross = match rule.base {
                Base::Amount => vat.gross,
                Base::ExtraAmount => vat.gross_extra,
            };
            about.push_str(&NET_OF_VAT.say(
                self.lang,
                &[&self.num(vat.rate.normalize()), &self.money(gross.abs())],
            ));
        }
        let mut lines: Vec<(String, Decimal, String)> = Vec::new();
        let percents: Vec<(usize, Decimal)> = rule
            .shares
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s.amount {
                ShareAmount::Percent(p) => Some((i, p)),
                ShareAmount::Fixed(_) => None,
            })
            .collect();
        let pool_percent = sum_money(percents.iter().map(|(_, p)| *p))?;
        let mut parts: BTreeMap<usize, (Decimal, String)> = BTreeMap::new();
        if percents.len() > 1 && self.policy.share_rounding == ShareRounding::PerShare {
            for (i, pct) in &percents {
                let exact = percent_of(base, *pct)?.normalize();
                let amount = self.round(exact);
                let how = PER_SHARE.say(
                    self.lang,
                    &[
                        &rule.id,
                        &self.num(pct.normalize()),
                        &self.num(base.abs()),
                        &self.lang.base(rule.base),
                        &self.shown(exact),
                        &self.money(amount),
                        &self.policy.rounding.name(),
                    ],
                );
                parts.insert(*i, (amount, how));
            }
        } else if !percents.is_empty() {
            let exact = percent_of(base, pool_percent)?.normalize();
            let pool_percent = pool_percent.normalize();
            let pool = self.round(exact);
            let weights: Vec<Decimal> = percents.iter().map(|(_, p)| *p).collect();
            let split = allocate(pool, self.minor, &weights, "shares")?;
            let single = percents.len() == 1;
            for ((i, pct), part) in percents.iter().zip(split) {
                let how = if single {
                    SINGLE_SHARE.say(
                        self.lang,
                        &[
                            &rule.id,
                            &self.num(pct),
                            &self.num(base.abs()),
                            &self.lang.base(rule.base),
                            &self.shown(exact),
                            &self.money(part.amount),
                            &self.policy.rounding.name(),
                        ],
                    )
                } else {
                    POOL_SHARE.say(
                        self.lang,
                        &[
                            &rule.id,
                            &self.num(pct),
                            &self.num(pool_percent),
                            &self.num(base.abs()),
                            &self.lang.base(rule.base),
                            &self.shown(exact),
                            &self.money(pool),
                            &self.policy.rounding.name(),
                            &self.money(part.amount),
                            &if part.extra_unit {
                                LEFTOVER.text(self.lang)
                            } else {
                                ""
                            },
                        ],
                    )
                };
                parts.insert(*i, (part.amount, how));
            }
        }
        for (i, share) in rule.shares.iter().enumerate() {
            let (amount, how) = match share.amount {
                ShareAmount::Fixed(f) => {
                    (f, FIXED_SHARE.say(self.lang, &[&rule.id, &self.money(f)]))
                }
                ShareAmount::Percent(_) => parts.remove(&i).unwrap_or_default(),
            };
            match &share.recipient {
                Recipient::Party(p) => lines.push((p.clone(), amount, format!("{how}{about}"))),
                Recipient::From(field) => {
                    let party = self.resolve(*field, sale)?;
                    lines.push((
                        party,
                        amount,
                        TO_FIELD.say(self.lang, &[&how, &self.lang.field(*field), &about]),
                    ));
                }
                Recipient::Attribution(a) => {
                    lines.extend(self.attributed(a, sale, amount, &how, &about)?);
                }
            }
        }
        Ok(lines)
    }

    /// A share split between the channels that touched the customer, by attribution weight.
    pub(super) fn attributed(
        &self,
        a: &AttributionShare,
        sale: &Sale,
        amount: Decimal,
        how: &str,
        about: &str,
    ) -> Result<Vec<(String, Decimal, String)>> {
        let touches: Vec<&CustomerTouch> = self
            .window(sale, a.lookback_seconds, a.channels.as_ref())
            .collect();
        let model = a.model.id().trim_start_matches("attribution.");
        if touches.is_empty() {
            return Ok(vec![(
                a.fallback.clone(),
                amount,
                FALLBACK.say(self.lang, &[&how, &a.fallback, &about]),
            )]);
        }
        let mut ids: Vec<&str> = Vec::new();
        let mut channels: Vec<u16> = Vec::new();
        for t in &touches {
            let channel_path = format!("{}.channel", t.path);
            let party = self.policy.party(&t.channel).ok_or_else(|| {
                KpiError::at(
                    ErrorCode::UnknownParty,
                    &channel_path,
                    format!(
                        "is `{}`, which is not a declared party but receives attribution credit for {}",
                        t.channel, sale.path
                    ),
                )
            })?;
            self.in_force(party, sale, &channel_path)?;
            let id = ids.iter().position(|c| *c == t.channel).unwrap_or_else(|| {
                ids.push(&t.channel);
                ids.len().saturating_sub(1) // just pushed: not empty
            });
            channels.push(u16::try_from(id).map_err(|_| overflow())?);
        }
        let times: Vec<i64> = touches.iter().map(|t| t.timestamp).collect();
        let mut weights = Vec::new();
        a.model.fill_weights(
            &a.model.prepared(),
            &[],
            &channels,
            &times,
            &[],
            &mut weights,
        );
        // Credit per channel, in the policy's declared party order.
        let mut per: Vec<(usize, &str, i128)> = ids
            .iter()
            .map(|c| (self.policy.party_rank(c), *c, 0i128))
            .collect();
        for (c, w) in channels.iter().zip(&weights) {
            if let Some(slot) = per.get_mut(usize::from(*c)) {
                slot.2 = slot.2.checked_add(*w).ok_or_else(overflow)?;
            }
        }
        per.sort_by_key(|(rank, _, _)| *rank);
        let total = per
            .iter()
            .try_fold(0i128, |acc, p| acc.checked_add(p.2))
            .ok_or_else(overflow)?;
        let mut units = amount.abs();
        units.rescale(self.minor);
        let ws: Vec<i128> = per.iter().map(|p| p.2).collect();
        let split = split_units(units.mantissa(), &ws).ok_or_else(overflow)?;
        per.iter()
            .zip(split)
            .map(|((_, channel, w), (u, _))| {
                let signed = if amount.is_sign_negative() {
                    u.checked_neg().ok_or_else(overflow)?
                } else {
                    u
                };
                let value = Decimal::try_from_i128_with_scale(signed, self.minor)
                    .map_err(|_| overflow())?;
                Ok((
                    (*channel).to_owned(),
                    value,
                    ATTRIBUTED.say(
                        self.lang,
                        &[
                            &how,
                            &model,
                            &touches.len(),
                            channel,
                            &reduce(*w, total).0,
                            &reduce(*w, total).1,
                            &self.money(value),
                            &about,
                        ],
                    ),
                ))
            })
            .collect()
    }
}

/// `value` exact when it has at most `minor + 4` places, else rounded half to even there and
/// marked `≈`.
///
/// ```text
/// shown(0.7955039391469709318120076066, 2) == "≈0.795504"; shown(3.4203, 2) == "3.4203"
/// ```
pub(super) fn shown(value: Decimal, minor: u32) -> String {
    let places = minor.saturating_add(4);
    let value = value.normalize();
    if value.scale() <= places {
        return value.to_string();
    }
    format!(
        "≈{}",
        crate::decimal::round_half_even(value, places).normalize()
    )
}

/// `w/total` in lowest terms, for explanations.
pub(super) fn reduce(w: i128, total: i128) -> (i128, i128) {
    pub(super) fn gcd(a: i128, b: i128) -> i128 {
        match a.checked_rem(b) {
            Some(r) => gcd(b, r),
            None => a.checked_abs().unwrap_or(1).max(1), // b == 0 (or i128::MIN % -1)
        }
    }
    let g = gcd(w, total);
    (
        w.checked_div(g).unwrap_or(w),
        total.checked_div(g).unwrap_or(total),
    )
}

#[cfg(test)]
mod tests {
    use super::shown;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn explanations_show_exact_values_up_to_four_places_past_the_minor_unit() {
        let d = |s: &str| Decimal::from_str(s).unwrap_or_default();
        assert_eq!(shown(d("0.7955039391469709318120076066"), 2), "≈0.795504");
        assert_eq!(shown(d("3.4203"), 2), "3.4203");
        assert_eq!(shown(d("2.835000"), 2), "2.835");
        assert_eq!(shown(d("12.3456789"), 0), "≈12.3457");
    }
}
