//! The closed set of errors every KPI can raise, each with a stable code.
//!
//! Codes are the contract (they are listed in `spec/errors.json` and asserted by the
//! conformance vectors); messages may improve without breaking anyone.

/// A stable, snake_case error code, identical in every language.
///
/// # Example
/// ```
/// use omnikpi::ErrorCode;
/// assert_eq!(ErrorCode::UnknownKpi.as_str(), "unknown_kpi");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The KPI id is not in the catalogue.
    UnknownKpi,
    /// The text is not valid JSON.
    InvalidJson,
    /// A required field is absent.
    MissingField,
    /// A field has the wrong JSON type (a float where a decimal string is expected, a bool where a count is).
    WrongType,
    /// A field is not part of the input shape (inputs are strict).
    UnknownField,
    /// A parameter is not declared by the KPI definition.
    UnknownParameter,
    /// A parameter value is outside what the definition allows.
    InvalidParameter,
    /// A count is negative.
    NegativeCount,
    /// A money amount is negative where the KPI forbids it.
    NegativeAmount,
    /// A decimal string is malformed, not finite, or beyond 28 significant digits.
    InvalidDecimal,
    /// A money amount has more decimal places than its currency's minor units.
    InvalidMoneyScale,
    /// The currency is not an ISO 4217 code in the embedded table.
    UnknownCurrency,
    /// Amounts in different currencies were mixed.
    CurrencyMismatch,
    /// An amount's currency has no rate in the declared FX table at its date or period.
    MissingFxRate,
    /// More conversions than opportunities, where the KPI forbids it.
    ConversionsExceedOpportunities,
    /// A list that must hold at least one element is empty.
    EmptyInput,
    /// A channel is not declared in the channel taxonomy.
    UnknownChannel,
    /// A key that must be unique appears twice.
    DuplicateKey,
    /// Allocation weights are negative or all zero.
    InvalidWeights,
    /// A timestamp is neither Unix seconds nor an RFC 3339 string.
    InvalidTimestamp,
    /// A number is outside the range every language represents exactly.
    ValueOutOfRange,
    /// An intermediate result does not fit the exact arithmetic types.
    ArithmeticOverflow,
    /// A KPI pack is malformed or asks for what this omnikpi does not have (a KPI version outside
    /// its range, a table or dimension it does not declare).
    InvalidPack,
    /// A dataset table (CSV) is malformed.
    InvalidDataset,
    /// Touch timestamps of a journey are not in chronological order.
    UnsortedTimestamps,
    /// A touch is later than its journey's conversion.
    TouchAfterConversion,
    /// A journey has no touch.
    EmptyJourney,
    /// A declared resource limit (channels, states, path length) is exceeded.
    LimitExceeded,
    /// A journey without conversion carries a conversion value.
    ValueWithoutConversion,
    /// An incentive policy names a party it does not declare (or a sale resolves to one).
    UnknownParty,
    /// The shares of an incentive rule exceed 100% or do not add up to the declared total.
    InvalidShares,
    /// Two incentive rules of one group can match the same sale and no priority decides.
    OverlappingRules,
    /// An incentive policy is inconsistent (format, tiers, bonuses, limits, attribution shares).
    InvalidPolicy,
    /// A refund names a sale that is not in the input.
    UnknownSale,
    /// Refunds of a sale add up to more than the sale.
    RefundExceedsSale,
    /// A closed period's record is not as omnikpi wrote it (its digest does not match), is
    /// closed twice or under another policy, or a change to it has no open period to be booked in.
    ClosedPeriod,
    /// A state the code rules out was reached (a bug to report, never a panic).
    InternalError,
}

impl ErrorCode {
    /// Every code, in the order of `spec/errors.json`.
    pub const ALL: [ErrorCode; 37] = [
        ErrorCode::UnknownKpi,
        ErrorCode::InvalidJson,
        ErrorCode::MissingField,
        ErrorCode::WrongType,
        ErrorCode::UnknownField,
        ErrorCode::UnknownParameter,
        ErrorCode::InvalidParameter,
        ErrorCode::NegativeCount,
        ErrorCode::NegativeAmount,
        ErrorCode::InvalidDecimal,
        ErrorCode::InvalidMoneyScale,
        ErrorCode::UnknownCurrency,
        ErrorCode::CurrencyMismatch,
        ErrorCode::MissingFxRate,
        ErrorCode::ConversionsExceedOpportunities,
        ErrorCode::EmptyInput,
        ErrorCode::UnknownChannel,
        ErrorCode::DuplicateKey,
        ErrorCode::InvalidWeights,
        ErrorCode::InvalidTimestamp,
        ErrorCode::ValueOutOfRange,
        ErrorCode::ArithmeticOverflow,
        ErrorCode::InvalidDataset,
        ErrorCode::InvalidPack,
        ErrorCode::UnsortedTimestamps,
        ErrorCode::TouchAfterConversion,
        ErrorCode::EmptyJourney,
        ErrorCode::LimitExceeded,
        ErrorCode::ValueWithoutConversion,
        ErrorCode::UnknownParty,
        ErrorCode::InvalidShares,
        ErrorCode::OverlappingRules,
        ErrorCode::InvalidPolicy,
        ErrorCode::UnknownSale,
        ErrorCode::RefundExceedsSale,
        ErrorCode::ClosedPeriod,
        ErrorCode::InternalError,
    ];

    /// The code as written in `spec/errors.json` and in every binding.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::UnknownKpi => "unknown_kpi",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::WrongType => "wrong_type",
            ErrorCode::UnknownField => "unknown_field",
            ErrorCode::UnknownParameter => "unknown_parameter",
            ErrorCode::InvalidParameter => "invalid_parameter",
            ErrorCode::NegativeCount => "negative_count",
            ErrorCode::NegativeAmount => "negative_amount",
            ErrorCode::InvalidDecimal => "invalid_decimal",
            ErrorCode::InvalidMoneyScale => "invalid_money_scale",
            ErrorCode::UnknownCurrency => "unknown_currency",
            ErrorCode::CurrencyMismatch => "currency_mismatch",
            ErrorCode::MissingFxRate => "missing_fx_rate",
            ErrorCode::InvalidPack => "invalid_pack",
            ErrorCode::ConversionsExceedOpportunities => "conversions_exceed_opportunities",
            ErrorCode::EmptyInput => "empty_input",
            ErrorCode::UnknownChannel => "unknown_channel",
            ErrorCode::DuplicateKey => "duplicate_key",
            ErrorCode::InvalidWeights => "invalid_weights",
            ErrorCode::InvalidTimestamp => "invalid_timestamp",
            ErrorCode::ValueOutOfRange => "value_out_of_range",
            ErrorCode::ArithmeticOverflow => "arithmetic_overflow",
            ErrorCode::InvalidDataset => "invalid_dataset",
            ErrorCode::UnsortedTimestamps => "unsorted_timestamps",
            ErrorCode::TouchAfterConversion => "touch_after_conversion",
            ErrorCode::EmptyJourney => "empty_journey",
            ErrorCode::LimitExceeded => "limit_exceeded",
            ErrorCode::ValueWithoutConversion => "value_without_conversion",
            ErrorCode::UnknownParty => "unknown_party",
            ErrorCode::InvalidShares => "invalid_shares",
            ErrorCode::OverlappingRules => "overlapping_rules",
            ErrorCode::InvalidPolicy => "invalid_policy",
            ErrorCode::UnknownSale => "unknown_sale",
            ErrorCode::RefundExceedsSale => "refund_exceeds_sale",
            ErrorCode::ClosedPeriod => "closed_period",
            ErrorCode::InternalError => "internal_error",
        }
    }

    /// The error family, used by bindings to pick an exception class.
    ///
    /// Families: `catalog` (unknown KPI or parameter), `input` (shape and type of the data),
    /// `value` (a well-formed value the KPI refuses), `money` (currency and scale),
    /// `arithmetic` (a result beyond exact decimal arithmetic), `limit` (a declared resource
    /// limit), `internal` (a state the code rules out, reported instead of a crash), `dataset`
    /// (CSV tables), `policy` (incentive policies that cannot be applied).
    pub fn family(self) -> &'static str {
        match self {
            ErrorCode::UnknownKpi | ErrorCode::UnknownParameter | ErrorCode::InvalidParameter => {
                "catalog"
            }
            ErrorCode::InvalidJson
            | ErrorCode::MissingField
            | ErrorCode::WrongType
            | ErrorCode::UnknownField
            | ErrorCode::InvalidDecimal
            | ErrorCode::InvalidTimestamp
            | ErrorCode::EmptyInput
            | ErrorCode::DuplicateKey
            | ErrorCode::UnsortedTimestamps
            | ErrorCode::TouchAfterConversion
            | ErrorCode::EmptyJourney
            | ErrorCode::ValueWithoutConversion => "input",
            ErrorCode::NegativeCount
            | ErrorCode::NegativeAmount
            | ErrorCode::ConversionsExceedOpportunities
            | ErrorCode::UnknownChannel
            | ErrorCode::InvalidWeights
            | ErrorCode::ValueOutOfRange
            | ErrorCode::UnknownSale
            | ErrorCode::RefundExceedsSale => "value",
            ErrorCode::InvalidMoneyScale
            | ErrorCode::UnknownCurrency
            | ErrorCode::CurrencyMismatch
            | ErrorCode::MissingFxRate => "money",
            ErrorCode::ArithmeticOverflow => "arithmetic",
            ErrorCode::LimitExceeded => "limit",
            ErrorCode::InternalError => "internal",
            ErrorCode::InvalidDataset | ErrorCode::InvalidPack => "dataset",
            ErrorCode::UnknownParty
            | ErrorCode::InvalidShares
            | ErrorCode::OverlappingRules
            | ErrorCode::InvalidPolicy
            | ErrorCode::ClosedPeriod => "policy",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from a KPI calculation: a stable code, the offending field or row, and a message.
///
/// `path` names where the problem is, in the notation of the input
/// (`input.rows[2].conversions`, `params.window_seconds`, `orders.csv:row 12:amount`).
///
/// # Example
/// ```
/// use omnikpi::{evaluate_json, ErrorCode};
/// let err = evaluate_json("conversion.rate", r#"{"rows": []}"#, "{}").unwrap_err();
/// assert_eq!(err.code(), ErrorCode::EmptyInput);
/// assert_eq!(err.path(), Some("input.rows"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KpiError {
    code: ErrorCode,
    path: Option<String>,
    message: String,
}

impl KpiError {
    /// A new error; `message` is lowercase, without a final period.
    pub fn new(code: ErrorCode, path: Option<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            path,
            message: message.into(),
        }
    }

    /// An error located at `path`; the message is prefixed with the path.
    pub fn at(code: ErrorCode, path: &str, detail: impl std::fmt::Display) -> Self {
        Self::new(code, Some(path.to_owned()), format!("`{path}` {detail}"))
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// Where the problem is, when it is in the input.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error on one line, as the command line prints it after `omnikpi: error ` and DuckDB
    /// raises it: `[code] at path: message` (without ` at path` when there is none).
    ///
    /// ```
    /// let err = omnikpi::evaluate_json("conversion.rate", r#"{"rows": []}"#, "{}").unwrap_err();
    /// assert_eq!(err.line(), "[empty_input] at input.rows: `input.rows` must not be empty");
    /// ```
    pub fn line(&self) -> String {
        match &self.path {
            Some(path) => format!("[{}] at {path}: {}", self.code, self.message),
            None => format!("[{}]: {}", self.code, self.message),
        }
    }

    /// The error as the JSON object every binding exposes: `{"code", "message", "path"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "code": self.code.as_str(),
            "message": self.message,
            "path": self.path,
        })
    }

    /// A state the code rules out (a worker thread that died, a model paired with another
    /// model's state): reported as `internal_error`, never a panic.
    pub(crate) fn internal(what: &str) -> Self {
        Self::new(
            ErrorCode::InternalError,
            None,
            format!("internal error ({what}); please report it with the input that caused it"),
        )
    }

    pub(crate) fn overflow(operation: &str) -> Self {
        Self::new(
            ErrorCode::ArithmeticOverflow,
            None,
            format!("arithmetic overflow in {operation}"),
        )
    }
}

/// The result type of every fallible omnikpi function.
pub type Result<T> = std::result::Result<T, KpiError>;
