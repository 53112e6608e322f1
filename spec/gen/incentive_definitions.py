"""Writes spec/kpis/incentives.{split,check}.json (run once; kept to show how they were made)."""
import json, pathlib
root = pathlib.Path(__file__).resolve().parents[1]
L = lambda en, fr: {"en": en, "fr": fr}

policy_field = {"name": "policy", "type": "object", "description": L(
    "The incentive policy (format `omnikpi.incentive_policy/1`, JSON Schema `spec/schema/incentive_policy.schema.json`): parties, rules with conditions and shares, tiers, limits, bonuses, clawback window, currency and rounding. Strict: unknown fields are errors.",
    "La politique d'incitation (format `omnikpi.incentive_policy/1`, schéma JSON `spec/schema/incentive_policy.schema.json`) : parties, règles avec conditions et parts, paliers, plafonds et planchers, primes, fenêtre de reprise, devise et arrondi. Stricte : un champ inconnu est une erreur.")}
sale_fields = [
    ("sale_id", "string", "Unique id of the sale or refund.", "Identifiant unique de la vente ou du remboursement."),
    ("timestamp", "timestamp", "When it happened (Unix seconds or RFC 3339).", "Quand elle a eu lieu (secondes Unix ou RFC 3339)."),
    ("period", "string", "The pay period it counts in (`2026-10`); periods sort as text.", "La période de paie où elle compte (`2026-10`) ; les périodes se trient comme du texte."),
    ("customer_id", "string", "The customer (optional), for touch conditions and attribution shares.", "Le client (facultatif), pour les conditions de contact et les parts d'attribution."),
    ("origin_channel", "string", "Channel the order was placed on (required unless a refund).", "Canal de la commande (obligatoire sauf remboursement)."),
    ("fulfilment_channel", "string", "Channel or store that fulfilled it (required unless a refund).", "Canal ou magasin qui l'a servie (obligatoire sauf remboursement)."),
    ("click_and_collect", "boolean", "Ordered online, picked up in store (default false).", "Commandée en ligne, retirée en magasin (faux par défaut)."),
    ("category", "string", "Product category (optional).", "Catégorie de produit (facultatif)."),
    ("zone", "string", "Delivery zone, owned by at most one franchisee (optional).", "Zone de livraison, détenue par au plus un franchisé (facultatif)."),
    ("staff", "string", "Member of staff credited (optional).", "Membre du personnel crédité (facultatif)."),
    ("amount", "money", "Amount; for a refund, the amount refunded (positive).", "Montant ; pour un remboursement, le montant remboursé (positif)."),
    ("extra_amount", "money", "Extra purchase at a click-and-collect pickup (default 0); for a refund, the part of it refunded.", "Achat supplémentaire au retrait (0 par défaut) ; pour un remboursement, la part remboursée."),
    ("currency", "string", "Optional; must be the policy currency.", "Facultatif ; doit être la devise de la politique."),
    ("refund_of", "string", "For a refund: the sale it reverses (its other fields are taken from that sale).", "Pour un remboursement : la vente qu'il annule (ses autres champs sont repris de cette vente)."),
]
sales = {"name": "sales", "type": "array", "description": L("Sales and refunds, in any order.", "Ventes et remboursements, dans n'importe quel ordre."),
         "fields": [{"name": n, "type": t, "description": L(en, fr)} for n, t, en, fr in sale_fields]}
touches = {"name": "touches", "type": "array", "description": L("Customer touches (optional): for `online_touch` conditions and attribution shares.", "Contacts clients (facultatif) : pour les conditions `online_touch` et les parts d'attribution."),
           "fields": [{"name": "customer_id", "type": "string", "description": L("The customer.", "Le client.")},
                      {"name": "timestamp", "type": "timestamp", "description": L("When.", "Quand.")},
                      {"name": "channel", "type": "string", "description": L("The channel (a declared party when it receives attribution credit).", "Le canal (une partie déclarée s'il reçoit un crédit d'attribution).")}]}
history = [{"version": "1.0.0", "change": L("First definition.", "Première définition.")}]
common_errors = ["missing_field", "wrong_type", "unknown_field", "empty_input", "duplicate_key", "invalid_decimal", "invalid_timestamp",
                 "negative_amount", "invalid_money_scale", "unknown_currency", "currency_mismatch", "invalid_weights",
                 "unknown_party", "invalid_shares", "overlapping_rules", "invalid_policy", "unknown_sale", "refund_exceeds_sale",
                 "invalid_parameter", "unknown_parameter", "arithmetic_overflow"]

split = {
 "id": "incentives.split", "version": "1.0.0", "family": "incentives",
 "title": L("Incentive split", "Répartition des incitations"),
 "summary": L("Pays every sale to the parties of an incentive policy — channels, stores, franchisees, staff — to the minor unit, with the rule and an explanation per line; refunds claw back as mirrors of their sale; per period, tiers, caps, floors and growth bonuses.",
              "Répartit chaque vente entre les parties d'une politique d'incitation — canaux, magasins, franchisés, personnel — à l'unité mineure près, avec la règle et une explication par ligne ; les remboursements reprennent le miroir de leur vente ; par période, paliers, plafonds, planchers et primes de croissance."),
 "formula": L(
  "Per group of rules, the matching rule with the highest priority pays. Its percent shares form a pool round(base × Σ percent / 100) (policy rounding) split by largest remainder in the ratio of the percents (ties to the larger percent, then the earlier share); a fixed share pays its amount; an attribution share is split again between the customer's touch channels by the model's weights (largest remainder, ties to the earlier party in declared order). A refund of the rest of a base reverses exactly what is left of each line; a partial refund r of base b claws back round(paid_by_rule × r / b), split in the ratio of the original lines. Per period and party: earned = Σ lines; accelerator = round(tiers(earned)) − earned when earned > 0 (step: each band's slice × its multiplier; flat: all × the band reached); a floor or cap adjusts earned + accelerator; a growth bonus pays round(percent × (net sales − previous net sales) / 100) when the growth is positive, split by weights. payable = earned + accelerator + limit + bonus.",
  "Par groupe de règles, la règle applicable de plus haute priorité paie. Ses parts en pourcentage forment une cagnotte arrondi(base × Σ pourcentages / 100) (arrondi de la politique), répartie au plus fort reste au prorata des pourcentages (égalités au plus grand pourcentage, puis à la part déclarée la première) ; une part fixe paie son montant ; une part d'attribution est répartie à nouveau entre les canaux de contact du client selon les poids du modèle (plus fort reste, égalités à la partie déclarée la première). Un remboursement du reste d'une base annule exactement ce qui reste de chaque ligne ; un remboursement partiel r d'une base b reprend arrondi(payé_par_la_règle × r / b), au prorata des lignes d'origine. Par période et partie : acquis = Σ lignes ; accélérateur = arrondi(paliers(acquis)) − acquis si acquis > 0 (par tranches : chaque tranche × son multiplicateur ; global : tout × le palier atteint) ; un plancher ou un plafond ajuste acquis + accélérateur ; une prime de croissance paie arrondi(pourcentage × (ventes nettes − ventes nettes précédentes) / 100) si la croissance est positive, répartie selon les poids. à payer = acquis + accélérateur + ajustement + prime."),
 "example": "basic::click and collect: the web site and the store share one pool",
 "inputs": [policy_field, sales, touches],
 "parameters": [],
 "outputs": [
  {"name": "lines", "type": "array", "description": L("Per sale and party (then per period adjustment): sale_id, period, party, rule, kind (sale, clawback, accelerator, cap, floor, bonus), amount, explanation. A sale's lines sum exactly to its distributable amount; a full refund's lines are the exact negatives of its sale's.", "Par vente et partie (puis par ajustement de période) : sale_id, period, party, rule, kind (sale, clawback, accelerator, cap, floor, bonus), amount, explanation. Les lignes d'une vente somment exactement son montant distribuable ; celles d'un remboursement total sont les opposés exacts de celles de sa vente."), "scale": "currency_minor", "rounding": "largest_remainder"},
  {"name": "unpaid", "type": "array", "description": L("Sales that produced no line, with the reason: no_rule, original_unpaid, outside_clawback_window, nothing_refunded.", "Ventes sans aucune ligne, avec la raison : no_rule, original_unpaid, outside_clawback_window, nothing_refunded.")},
  {"name": "periods", "type": "array", "description": L("Per period: net_sales, growth, and per party earned, accelerator, limit, bonus, payable; total.", "Par période : net_sales, growth, et par partie earned, accelerator, limit, bonus, payable ; total."), "scale": "currency_minor"},
  {"name": "parties", "type": "array", "description": L("Payable per party over every period, in declared order.", "À payer par partie sur toutes les périodes, dans l'ordre déclaré."), "scale": "currency_minor"},
  {"name": "total", "type": "money", "description": L("Everything payable.", "Le total à payer."), "scale": "currency_minor"},
  {"name": "rows", "type": "object", "description": L("Sales read, used (with at least one line), rejected (unpaid, listed with their reason).", "Ventes lues, utilisées (au moins une ligne), rejetées (non payées, listées avec leur raison).")}],
 "edge_cases": [
  {"rule": L("A store sale preceded by an online touch within the window goes to the higher-priority ROPO rule; a touch exactly `within_days` before is outside (exclusive lower bound).", "Une vente en magasin précédée d'un contact en ligne dans la fenêtre relève de la règle ROPO prioritaire ; un contact exactement `within_days` avant est hors fenêtre (borne inférieure exclue)."), "vector": "basic::an online touch within 7 days credits the web shop on a store sale"},
  {"rule": L("An attribution share with no qualifying touch goes entirely to its fallback party.", "Une part d'attribution sans contact admissible va entièrement à sa partie de repli."), "vector": "basic::attribution weights split the marketing share"},
  {"rule": L("A rule paying on extra_amount applies only when the extra purchase is positive.", "Une règle sur extra_amount ne s'applique que si l'achat supplémentaire est positif."), "vector": "basic::extra purchase at pickup and a fixed amount per sale"},
  {"rule": L("A full refund reverses each line exactly; partial refunds claw back pro rata and the last one takes exactly what is left.", "Un remboursement total annule exactement chaque ligne ; les remboursements partiels reprennent au prorata et le dernier reprend exactement le reste."), "vector": "basic::refunds mirror their sale cent for cent"},
  {"rule": L("Tiers apply only to positive earnings; a floor applies even in a period without sales.", "Les paliers ne s'appliquent qu'à des gains positifs ; un plancher s'applique même sur une période sans vente."), "vector": "basic::step accelerator, cap and floor over a period"},
  {"rule": L("The growth bonus reads total net sales over every channel: a store at -1% and the web at +10% pay on the net; no bonus in the first period or when growth is not positive.", "La prime de croissance lit les ventes nettes totales de tous les canaux : un magasin à -1 % et le web à +10 % paient sur le net ; pas de prime la première période ni si la croissance n'est pas positive."), "vector": "basic::team bonus on total omnichannel growth"},
  {"rule": L("A sale no rule matches, a refund of an unpaid sale and a refund outside the clawback window are listed in `unpaid`, never dropped.", "Une vente sans règle applicable, le remboursement d'une vente non payée et un remboursement hors fenêtre de reprise sont listés dans `unpaid`, jamais ignorés."), "vector": "basic::unpaid sales are listed with their reason"},
  {"rule": L("Rounding follows the policy: half_even by default, half_away_from_zero or toward_zero on request, symmetric for refunds.", "L'arrondi suit la politique : au pair par défaut, half_away_from_zero ou toward_zero sur demande, symétrique pour les remboursements."), "vector": "edge_cases::half away from zero rounding"},
  {"rule": L("Currencies without minor units (JPY) pay whole units.", "Les devises sans unité mineure (JPY) paient des unités entières."), "vector": "edge_cases::yen has no minor unit"},
  {"rule": L("Overlapping rules need distinct priorities; the policy is rejected otherwise, naming the later rule.", "Des règles qui se chevauchent exigent des priorités distinctes ; sinon la politique est rejetée et la règle la plus récente est nommée."), "vector": "errors::overlapping rules without priority"}],
 "errors": common_errors,
 "history": history,
}
payouts = {"name": "payouts", "type": "array", "description": L("Payouts computed elsewhere: sale_id (absent for a period adjustment), period, party, rule (required for a period adjustment), amount. Extra columns kind, currency and explanation are accepted, so a split's own CSV reads back.", "Paiements calculés ailleurs : sale_id (absent pour un ajustement de période), period, party, rule (obligatoire pour un ajustement de période), amount. Les colonnes kind, currency et explanation sont acceptées, pour relire le CSV d'une répartition."),
           "fields": [{"name": n, "type": t, "description": L(en, fr)} for n, t, en, fr in [
               ("sale_id", "string", "The sale or refund.", "La vente ou le remboursement."),
               ("period", "string", "The period (required without sale_id).", "La période (obligatoire sans sale_id)."),
               ("party", "string", "The party paid.", "La partie payée."),
               ("rule", "string", "The rule, tier, limit or bonus (required without sale_id).", "La règle, le palier, la limite ou la prime (obligatoire sans sale_id)."),
               ("amount", "money", "The amount claimed.", "Le montant réclamé.")]]}
check = {
 "id": "incentives.check", "version": "1.0.0", "family": "incentives",
 "title": L("Incentive payout check", "Contrôle des paiements d'incitation"),
 "summary": L("Compares payouts computed elsewhere with the canonical split of the same sales under the same policy, and lists every difference: sale, party, claimed, canonical, rule.",
              "Compare des paiements calculés ailleurs avec la répartition canonique des mêmes ventes selon la même politique, et liste chaque écart : vente, partie, réclamé, canonique, règle."),
 "formula": L("Sale lines compare per (sale, party), summed over rules; period adjustments per (period, party, rule). difference = claimed − canonical, a missing side counting as zero; a key is a difference unless both sides exist and agree to the minor unit (an unclaimed zero line agrees).",
              "Les lignes de vente se comparent par (vente, partie), sommées sur les règles ; les ajustements de période par (période, partie, règle). écart = réclamé − canonique, un côté absent valant zéro ; une clé est un écart sauf si les deux côtés existent et concordent à l'unité mineure (une ligne nulle non réclamée concorde)."),
 "example": "basic::every kind of difference is listed",
 "inputs": [policy_field, sales, touches, payouts],
 "parameters": [],
 "outputs": [
  {"name": "compared", "type": "count", "description": L("Keys compared.", "Clés comparées.")},
  {"name": "matching", "type": "count", "description": L("Keys that agree.", "Clés qui concordent.")},
  {"name": "differences", "type": "array", "description": L("sale_id, period, party, rule, claimed, canonical, difference; canonical order first, then claims without a canonical line.", "sale_id, period, party, rule, claimed, canonical, difference ; d'abord dans l'ordre canonique, puis les réclamations sans ligne canonique."), "scale": "currency_minor"},
  {"name": "claimed_total", "type": "money", "description": L("Sum of the claims.", "Somme des réclamations."), "scale": "currency_minor"},
  {"name": "canonical_total", "type": "money", "description": L("Sum of the canonical lines.", "Somme des lignes canoniques."), "scale": "currency_minor"},
  {"name": "rows", "type": "object", "description": L("Claimed rows read, used, rejected.", "Lignes réclamées lues, utilisées, rejetées.")}],
 "edge_cases": [
  {"rule": L("A canonical payout nobody claimed, a claim with no canonical line and a wrong amount are each one difference.", "Un paiement canonique non réclamé, une réclamation sans ligne canonique et un montant faux sont chacun un écart."), "vector": "basic::every kind of difference is listed"},
  {"rule": L("A split's own lines, read back, match with no difference.", "Les lignes d'une répartition, relues, concordent sans écart."), "vector": "basic::the canonical lines match themselves"},
  {"rule": L("A payout without sale_id must name its period and rule.", "Un paiement sans sale_id doit nommer sa période et sa règle."), "vector": "errors::period adjustment without rule"}],
 "errors": common_errors,
 "history": history,
}
# The definitions have since gained fields this script does not write (the surface, the complete
# outputs with their nested shapes): the JSON files are the source now. This script only writes
# a definition that does not exist yet, so rerunning it cannot drop them.
for d in (split, check):
    path = root / "kpis" / f"{d['id']}.json"
    if path.exists():
        print(f"{path.name} exists: edit it directly (this script wrote its first version)")
        continue
    path.write_text(json.dumps(d, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
