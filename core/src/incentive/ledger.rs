//! What a split has paid so far, per sale.

use super::clawback::Paid;
use super::rules::Engine;
use super::sale::Sale;
use super::summary::{Line, LineKind, UnpaidReason};
use crate::error::Result;

/// What the split has paid so far, per sale: its lines, why it is unpaid, and what each of its
/// lines has left to claw back.
pub(super) struct Ledger {
    pub(super) per_sale: Vec<Vec<Line>>,
    pub(super) unpaid: Vec<Option<UnpaidReason>>,
    pub(super) paid: Vec<Vec<Paid>>,
}

impl Ledger {
    pub(super) fn new(sales: usize) -> Self {
        Self {
            per_sale: vec![Vec::new(); sales],
            unpaid: vec![None; sales],
            paid: (0..sales).map(|_| Vec::new()).collect(),
        }
    }

    /// Pays every sale (refunds aside) by the rules that win it under its policy version
    /// (`engines[version[i]]` for sale `i`).
    pub(super) fn pay_sales(
        &mut self,
        engines: &[Engine],
        version: &[usize],
        sales: &[Sale],
    ) -> Result<()> {
        let Ledger {
            per_sale,
            unpaid,
            paid,
        } = self;
        for (i, sale) in sales.iter().enumerate() {
            if sale.refund_of.is_some() {
                continue;
            }
            let engine = version
                .get(i)
                .and_then(|v| engines.get(*v))
                .ok_or_else(super::rules::overflow)?;
            let winners = engine.winners(sale);
            if winners.is_empty() {
                if let Some(u) = unpaid.get_mut(i) {
                    *u = Some(UnpaidReason::NoRule);
                }
            }
            for rule in winners {
                for (party, amount, explanation) in engine.rule_lines(rule, sale)? {
                    if let Some(p) = paid.get_mut(i) {
                        p.push(Paid {
                            party: party.clone(),
                            rule: rule.id.clone(),
                            base: rule.base,
                            amount,
                            remaining: amount,
                        });
                    }
                    if let Some(l) = per_sale.get_mut(i) {
                        l.push(Line {
                            sale_id: Some(sale.id.clone()),
                            period: sale.period.clone(),
                            party,
                            rule: rule.id.clone(),
                            kind: LineKind::Sale,
                            amount,
                            explanation,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}
