//! The channel taxonomy: which channels exist, whether each is online or offline, and which
//! are "direct" (used by last-non-direct attribution).

use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;

/// Online (web, app, email, social, paid search) or offline (store, call centre).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelGroup {
    /// Digital channels.
    Online,
    /// Physical or voice channels.
    Offline,
}

impl ChannelGroup {
    /// `online` or `offline`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelGroup::Online => "online",
            ChannelGroup::Offline => "offline",
        }
    }
}

/// One declared channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Channel name, unique in the taxonomy.
    pub name: String,
    /// Online or offline.
    pub group: ChannelGroup,
    /// A direct channel (typed-in URL, direct store visit).
    pub direct: bool,
}

/// The declared channels, in order.
///
/// # Example
/// ```
/// use omnikpi::channel::{Channel, ChannelGroup, Taxonomy};
/// let tax = Taxonomy::new(vec![
///     Channel { name: "web".into(), group: ChannelGroup::Online, direct: false },
/// ]).unwrap();
/// assert_eq!(tax.group("web", "x").unwrap(), ChannelGroup::Online);
/// assert_eq!(tax.group("fax", "x").unwrap_err().code(), omnikpi::ErrorCode::UnknownChannel);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taxonomy {
    channels: Vec<Channel>,
    /// Position of each channel by name: lookups and the duplicate check in constant time, with
    /// hashbrown's fast default hasher (a text channel column is looked up once a row).
    positions: hashbrown::HashMap<String, usize>,
}

/// The most channels a taxonomy declares: channel ids are 16-bit in journey batches.
pub const MAX_CHANNELS: usize = 65_535;

impl Taxonomy {
    /// A taxonomy from declared channels.
    ///
    /// # Errors
    /// `empty_input`, `duplicate_key` (a channel declared twice).
    pub fn new(channels: Vec<Channel>) -> Result<Self> {
        Self::checked(channels, "input.channels")
    }

    fn checked(channels: Vec<Channel>, path: &str) -> Result<Self> {
        if channels.is_empty() {
            return Err(KpiError::at(
                ErrorCode::EmptyInput,
                path,
                "must not be empty",
            ));
        }
        if channels.len() > MAX_CHANNELS {
            return Err(KpiError::at(
                ErrorCode::LimitExceeded,
                path,
                format!(
                    "declares {} channels, more than {MAX_CHANNELS}",
                    channels.len()
                ),
            ));
        }
        let mut positions = hashbrown::HashMap::with_capacity(channels.len());
        for (i, c) in channels.iter().enumerate() {
            if positions.insert(c.name.clone(), i).is_some() {
                return Err(KpiError::at(
                    ErrorCode::DuplicateKey,
                    &format!("{path}[{i}].channel"),
                    format!("declares channel `{}` twice", c.name),
                ));
            }
        }
        Ok(Self {
            channels,
            positions,
        })
    }

    /// A taxonomy from its JSON form: `[{"channel", "group", "direct"?}, ...]`.
    ///
    /// # Errors
    /// As the attribution inputs' `channels`: `wrong_type`, `missing_field`, `duplicate_key`,
    /// `empty_input`, located under `channels`.
    pub fn from_json(value: &serde_json::Value) -> Result<Self> {
        let wrapped = serde_json::json!({ "channels": value });
        let record = Record::new(&wrapped, "input", &["channels"])?;
        Self::read(&record, "channels")
    }

    pub(crate) fn read(record: &Record, key: &str) -> Result<Self> {
        let channels = record
            .list(key)?
            .into_iter()
            .map(|(path, v)| {
                let r = Record::new(v, &path, &["channel", "group", "direct"])?;
                let group = match r.text("group")?.as_str() {
                    "online" => ChannelGroup::Online,
                    "offline" => ChannelGroup::Offline,
                    other => {
                        return Err(KpiError::at(
                            ErrorCode::WrongType,
                            &r.field_path("group"),
                            format!("must be `online` or `offline`, got `{other}`"),
                        ))
                    }
                };
                Ok(Channel {
                    name: r.text("channel")?,
                    group,
                    direct: r.opt_bool("direct")?.unwrap_or(false),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Self::checked(channels, &record.field_path(key))
    }

    /// The channels in declared order.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// Number of channels.
    pub fn len(&self) -> usize {
        self.channels.len()
    }

    /// Whether there is no channel (never true for a built taxonomy).
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }

    /// The position of `name`, if declared.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.positions.get(name).copied()
    }

    /// The group of `name`.
    ///
    /// # Errors
    /// `unknown_channel`, located at `path`.
    pub fn group(&self, name: &str, path: &str) -> Result<ChannelGroup> {
        self.index(name)
            .and_then(|i| self.channels.get(i))
            .map(|c| c.group)
            .ok_or_else(|| {
                KpiError::at(
                    ErrorCode::UnknownChannel,
                    path,
                    format!("names channel `{name}`, which the taxonomy does not declare"),
                )
            })
    }
}
