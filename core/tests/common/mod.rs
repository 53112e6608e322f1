//! What several test files share.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use omnikpi::attribution::{Model, MODEL_IDS};
use omnikpi::{definition, Params};
use serde_json::Value;

/// Every attribution model with the default parameters of its definition.
pub fn models() -> Vec<Model> {
    MODEL_IDS
        .iter()
        .map(|id| {
            Model::from_params(
                id,
                &Params::resolve(definition(id).unwrap(), &Value::Null).unwrap(),
            )
            .unwrap()
        })
        .collect()
}
