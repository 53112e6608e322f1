//! What several test files share.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use omnikpi::attribution::{model_ids, Model};
use omnikpi::{definition, Params};
use serde_json::Value;

/// Every attribution model with the default parameters of its definition.
pub fn models() -> Vec<Model> {
    model_ids()
        .into_iter()
        .map(|id| {
            Model::from_params(
                id,
                &Params::resolve(definition(id).unwrap(), &Value::Null).unwrap(),
            )
            .unwrap()
        })
        .collect()
}
