//! The sentences of payout-line explanations, in English and French: each a [`Phrase`] with
//! numbered places, so the engine writes every explanation once, in the language asked for
//! (English in splits and checks; a statement's language in statements), and numbers as that
//! language writes them (`3.42 EUR`, `3,42 EUR`).
//!
//! ```
//! use omnikpi::incentive::Language;
//! assert_eq!(Language::from_code("fr"), Some(Language::Fr));
//! assert_eq!(Language::Fr.number("-1234.50"), "-1234,50");
//! assert_eq!(Language::En.number("3.5"), "3.5");
//! ```

use super::policy::{Base, SaleField, TierMode, Validity, Window};
use std::fmt::Display;

/// The language explanations are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// English (splits, checks, diffs, closes).
    #[default]
    En,
    /// French.
    Fr,
}

impl Language {
    /// The language of an ISO 639-1 code, `en` or `fr`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "en" => Some(Self::En),
            "fr" => Some(Self::Fr),
            _ => None,
        }
    }

    /// Its ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
        }
    }

    /// A decimal number as the language writes it: a decimal comma in French.
    pub fn number(self, text: &str) -> String {
        match self {
            Self::En => text.to_owned(),
            Self::Fr => text.replacen('.', ",", 1),
        }
    }

    /// The words of a base (`amount`, `extra_amount`).
    pub(super) fn base(self, base: Base) -> &'static str {
        match (self, base) {
            (Self::Fr, Base::Amount) => "montant",
            (Self::Fr, Base::ExtraAmount) => "achat additionnel",
            (Self::En, b) => b.name(),
        }
    }

    /// The words of the field of a sale that names a party.
    pub(super) fn field(self, field: SaleField) -> &'static str {
        match (self, field) {
            (Self::Fr, SaleField::OriginChannel) => "le canal d'origine",
            (Self::Fr, SaleField::FulfilmentChannel) => "le canal d'exécution",
            (Self::Fr, SaleField::Zone) => "la zone",
            (Self::Fr, SaleField::Staff) => "le vendeur",
            (Self::En, f) => f.name(),
        }
    }

    /// The words of a tier's window, after "on attainment".
    pub(super) fn window(self, window: Window) -> &'static str {
        match (self, window) {
            (_, Window::Period) => "",
            (Self::En, Window::Quarter) => " over the quarter to date",
            (Self::En, Window::YearToDate) => " over the year to date",
            (Self::Fr, Window::Quarter) => " sur le trimestre à date",
            (Self::Fr, Window::YearToDate) => " depuis le début de l'année",
        }
    }

    /// The words of a tier mode.
    pub(super) fn tier_mode(self, mode: TierMode) -> &'static str {
        match (self, mode) {
            (Self::En, TierMode::Step) => "step",
            (Self::En, TierMode::Flat) => "flat",
            (Self::Fr, TierMode::Step) => "par tranche",
            (Self::Fr, TierMode::Flat) => "à taux unique",
        }
    }

    /// The days a rule is in force, as a sentence.
    pub(super) fn validity(self, v: &Validity) -> String {
        match self {
            Self::En => v.describe(),
            Self::Fr => match (v.from, v.to) {
                (None, None) => "toujours en vigueur".to_owned(),
                (Some(f), None) => format!("en vigueur depuis le {f}"),
                (None, Some(t)) => format!("en vigueur jusqu'au {t}"),
                (Some(f), Some(t)) => format!("en vigueur du {f} au {t}"),
            },
        }
    }
}

/// One sentence of an explanation in each language; `{0}`, `{1}`, ... are its places.
pub(super) struct Phrase {
    en: &'static str,
    fr: &'static str,
}

impl Phrase {
    /// The sentence in `lang` with its places filled by `args`, in order.
    pub(super) fn say(&self, lang: Language, args: &[&dyn Display]) -> String {
        let template = match lang {
            Language::En => self.en,
            Language::Fr => self.fr,
        };
        let mut out = String::with_capacity(template.len().saturating_add(32));
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(rest.get(..open).unwrap_or_default());
            let after = rest.get(open.saturating_add(1)..).unwrap_or_default();
            let Some(close) = after.find('}') else {
                out.push_str(rest.get(open..).unwrap_or_default());
                return out;
            };
            let place = after.get(..close).and_then(|n| n.parse::<usize>().ok());
            match place.and_then(|n| args.get(n)) {
                Some(arg) => out.push_str(&arg.to_string()),
                None => out.push_str(
                    rest.get(open..open.saturating_add(close).saturating_add(2))
                        .unwrap_or_default(),
                ),
            }
            rest = after.get(close.saturating_add(1)..).unwrap_or_default();
        }
        out.push_str(rest);
        out
    }

    /// The sentence in `lang`, without places.
    pub(super) fn text(&self, lang: Language) -> &'static str {
        match lang {
            Language::En => self.en,
            Language::Fr => self.fr,
        }
    }
}

macro_rules! phrases {
    ($($(#[$doc:meta])* $name:ident = $en:literal, $fr:literal;)*) => {
        $($(#[$doc])* pub(super) const $name: Phrase = Phrase { en: $en, fr: $fr };)*
        /// Every phrase, for the test that both languages fill the same places.
        #[cfg(test)]
        const ALL: &[Phrase] = &[$($name),*];
    };
}

phrases! {
    /// A percent share rounded on its own.
    PER_SHARE = "{0}: {1}% of {2} {3} = {4} -> {5} ({6}, rounded per share)",
        "{0} : {1} % de {2} ({3}) = {4} -> {5} ({6}, arrondi par part)";
    /// The only percent share of a rule.
    SINGLE_SHARE = "{0}: {1}% of {2} {3} = {4} -> {5} ({6})",
        "{0} : {1} % de {2} ({3}) = {4} -> {5} ({6})";
    /// One percent share of a pooled rule.
    POOL_SHARE = "{0}: {1} of the {2}% pool on {3} {4} ({5} -> {6}, {7}) = {8}{9}",
        "{0} : {1} de la cagnotte de {2} % sur {3} ({4}) ({5} -> {6}, {7}) = {8}{9}";
    /// The share that took the leftover minor unit.
    LEFTOVER = ", with one leftover minor unit (largest remainder)",
        ", avec une unité résiduelle (plus forts restes)";
    /// A fixed share.
    FIXED_SHARE = "{0}: fixed {1} per sale", "{0} : fixe {1} par vente";
    /// A share to the party a field of the sale names.
    TO_FIELD = "{0}, to the sale's {1}{2}", "{0}, pour {1} de la vente{2}";
    /// An attribution share without a qualifying touch.
    FALLBACK = "{0}; no qualifying touch, so all to the fallback {1}{2}",
        "{0} ; aucun contact retenu, donc tout au repli {1}{2}";
    /// An attribution share's part for one channel.
    ATTRIBUTED = "{0}; {1} attribution over {2} touches gives {3} weight {4}/{5} = {6}{7}",
        "{0} ; l'attribution {1} sur {2} contacts donne à {3} le poids {4}/{5} = {6}{7}";
    /// The VAT taken off a base.
    NET_OF_VAT = " (net of {0}% VAT: {1} gross)", " (hors TVA de {0} % : {1} TTC)";
    /// The version of a policy history that paid a line.
    POLICY_VERSION = " (policy version {0})", " (version de politique {0})";
    /// A refund that completes its sale's base.
    CLAWBACK_REST = "clawback of sale {0}: this refund completes its {1} of {2}, so the rest of the {3} line of rule {4} is reversed",
        "reprise sur la vente {0} : ce remboursement complète son {1} de {2}, donc le reste de la ligne de {3} de la règle {4} est annulé";
    /// A partial refund, pooled.
    CLAWBACK_PART = "clawback of sale {0}: refund of {1} of its {2} of {3}; rule {4} paid {5} in all, {6}/{7} of it = {8} -> {9}, of which this line's part (of {10}) is {11}",
        "reprise sur la vente {0} : remboursement de {1} sur son {2} de {3} ; la règle {4} a payé {5} en tout, dont {6}/{7} = {8} -> {9} ; part de cette ligne (de {10}) : {11}";
    /// A partial refund, rounded per share.
    CLAWBACK_PER_SHARE = "clawback of sale {0}: refund of {1} of its {2} of {3}; this line of rule {4} paid {5}, {6}/{7} of it = {8} -> {9} (rounded per share{10})",
        "reprise sur la vente {0} : remboursement de {1} sur son {2} de {3} ; cette ligne de la règle {4} a payé {5}, dont {6}/{7} = {8} -> {9} (arrondi par part{10})";
    /// A per-share clawback bounded by what the line has left.
    LIMITED = ", limited to what the line has left", ", limité à ce qui reste sur la ligne";
    /// A growth bonus's part.
    BONUS = "{0}: {1}% of the growth of total net sales over every channel ({2} -> {3}: {4}) = {5} -> pool {6}, shared by {7} parties; this part {8}",
        "{0} : {1} % de la croissance des ventes nettes totales, tous canaux confondus ({2} -> {3} : {4}) = {5} -> cagnotte {6}, partagée entre {7} parties ; cette part {8}";
    /// One band of a tier.
    BAND = "from {0}: x{1}", "dès {0} : x{1}";
    /// A tier's accelerator.
    ACCELERATOR = "{0} ({1} tiers: {2}): earnings of {3} become {4} -> {5}, an accelerator of {6}",
        "{0} (paliers {1} : {2}) : des gains de {3} deviennent {4} -> {5}, un accélérateur de {6}";
    /// A tier's accelerator on attainment of a quota.
    ATTAINMENT = "{0} ({1} tiers on attainment{2}: {3}): credited sales of {4} against a quota of {5} ({6}); earnings of {7} become {8} -> {9}{10}, an accelerator of {11}",
        "{0} (paliers {1} sur l'atteinte de l'objectif{2} : {3}) : des ventes créditées de {4} pour un objectif de {5} ({6}) ; des gains de {7} deviennent {8} -> {9}{10}, un accélérateur de {11}";
    /// What a window's earlier periods paid of its accelerator.
    EARLIER_PAID = ", less {0} paid in earlier periods", ", moins {0} versés sur les périodes précédentes";
    /// A percent.
    PERCENT = "{0}%", "{0} %";
    /// A floor.
    FLOOR = "floor", "plancher";
    /// A cap.
    CAP = "cap", "plafond";
    /// A cap or floor reached.
    LIMIT = "{0} of {1} per period: pay before bonuses of {2} adjusted by {3}{4}",
        "{0} de {1} par période : paie avant primes de {2} ajustée de {3}{4}";
    /// Clawbacks deducted after a limit.
    DEDUCTED = "; the period's clawbacks of {0} are deducted after it",
        " ; les reprises de la période, {0}, sont déduites après";
    /// A negative balance carried.
    CARRIED = "negative balance carried forward (policy): {0}",
        "solde négatif reporté (politique) : {0}";
    /// A balance carried in.
    CARRIED_FROM = "{0} carried from {1}", "{0} reporté depuis {1}";
    /// A balance carried out.
    CARRIED_OUT = "{0} carried to the next period", "{0} reporté sur la période suivante";
    /// A prior-period adjustment.
    RESTATED = "prior-period adjustment for {0} (closed, {1}): recomputed {2}, closed {3}",
        "ajustement de période antérieure pour {0} (close, {1}) : recalculé {2}, clos {3}";
    /// What earlier closes adjusted already.
    ADJUSTED_ALREADY = ", adjusted already {0}", ", déjà ajusté {0}";
    /// The rules a restatement changes.
    BY_RULE = "; by rule: {0}", " ; par règle : {0}";
    /// Rules beyond those listed.
    AND_MORE = " and {0} more", " et {0} de plus";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_fill_the_same_places() {
        let places = |t: &str| {
            let mut found: Vec<usize> = (0..16)
                .filter(|n| t.contains(&format!("{{{n}}}")))
                .collect();
            found.sort_unstable();
            found
        };
        for phrase in ALL {
            assert_eq!(places(phrase.en), places(phrase.fr), "{}", phrase.en);
        }
    }

    #[test]
    fn a_phrase_fills_its_places_in_order() {
        let said = SINGLE_SHARE.say(
            Language::Fr,
            &[
                &"web",
                &"5",
                &"1234,50",
                &"montant",
                &"61,725",
                &"61,72 EUR",
                &"half_even",
            ],
        );
        assert_eq!(
            said,
            "web : 5 % de 1234,50 (montant) = 61,725 -> 61,72 EUR (half_even)"
        );
        assert_eq!(AND_MORE.say(Language::En, &[&3]), " and 3 more");
        assert_eq!(FLOOR.text(Language::Fr), "plancher");
    }
}
