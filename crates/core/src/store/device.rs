//! This device's own keys in `local/device.age`: made once, under the write lock (so two
//! processes opening a vault at once never make two), and never synced.

use super::{Layout, WriteLock};
use crate::config::Config;
use crate::fsutil::write_atomic;
use crate::keys::{DeviceKeys, Keys};
use crate::{Error, Id, Result, crypto};
use age::secrecy::ExposeSecret;
use std::io::ErrorKind;

impl Layout {
    /// `local/device.age`: this device's own keys.
    pub fn device_keys(&self) -> std::path::PathBuf {
        self.local().join("device.age")
    }
}

/// This device's keys, made now if it has none (or only keys made for another id, left by a
/// key rotation or a restored device taking a new id). Keys that do not open are made again
/// too: the roster then tells (`Vault::own_key_lost`) whether this device can still write.
pub(crate) fn load_or_create_device_keys(
    layout: &Layout,
    config: &Config,
    keys: &Keys,
    device: &Id,
) -> Result<DeviceKeys> {
    if let Some(k) = read_device_keys(layout, config, keys, device)? {
        return Ok(k);
    }
    let _lock = WriteLock::take(layout)?;
    if let Some(k) = read_device_keys(layout, config, keys, device)? {
        return Ok(k);
    }
    let k = DeviceKeys::generate();
    write_device_keys(layout, config, keys, device, &k)?;
    Ok(k)
}

/// Writes `local/device.age` for `device`, encrypted to the vault key.
pub(crate) fn write_device_keys(
    layout: &Layout,
    config: &Config,
    keys: &Keys,
    device: &Id,
    k: &DeviceKeys,
) -> Result<()> {
    let text = k.to_file(&config.vault, device);
    let ct = crypto::encrypt(&[&keys.vault_recipient()], text.expose_secret().as_bytes())?;
    write_atomic(&layout.device_keys(), &ct)
}

/// The keys of `device` in `local/device.age`: its own, or, when the file is of the id this
/// device went on under (a continuation cut short before `local/device` names it), the former
/// keys it keeps for `device`. `None`: no such keys.
pub(crate) fn read_device_keys(
    layout: &Layout,
    config: &Config,
    keys: &Keys,
    device: &Id,
) -> Result<Option<DeviceKeys>> {
    let path = layout.device_keys();
    let ct = match crate::limits::read_file(&path, crate::limits::IDENTITY) {
        Ok(ct) => ct,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
    };
    let Ok(plain) = crypto::decrypt(&[keys.vault_identity()], &ct) else {
        return Ok(None);
    };
    let Ok(text) = std::str::from_utf8(&plain) else {
        return Ok(None);
    };
    if let Ok(k) = DeviceKeys::from_file(text, &config.vault, device) {
        return Ok(Some(k));
    }
    let successor = text
        .lines()
        .find_map(|l| l.strip_prefix("# device: "))
        .and_then(|d| d.trim().parse::<Id>().ok());
    Ok(successor
        .and_then(|s| DeviceKeys::from_file(text, &config.vault, &s).ok())
        .and_then(|mut k| k.take_former(device)))
}
