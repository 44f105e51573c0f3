//! Pairing in the app: the new device's side (its code, then the answer) on the first-run
//! screen, and "Add a device" on a device that has the vault. The new device's keys stay in
//! Rust, in this process, until the answer comes (crate `coffer_core::sync`, pairing).

use crate::error::{ApiError, ApiResult};
use crate::session::{Session, blocking, on_session, secret};
use crate::sync::SyncService;
use coffer_core::sync::{OpenedAnswer, PairingCode, PairingRequest};
use coffer_views::QrImage;
use serde::Serialize;
use std::sync::Mutex;
use tauri::{AppHandle, Emitter, Manager, State};

/// The request of a pairing under way on this (new) device, and the answer once opened (its
/// keys stay here, in Rust, until the vault is written).
#[derive(Default)]
pub struct Pairing(Mutex<Option<(PairingRequest, Option<OpenedAnswer>)>>);

/// What the new device shows while it waits for the answer.
#[derive(Serialize, ts_rs::TS)]
pub struct PairingStart {
    /// The code to give the device that has the vault.
    pub code: String,
    /// The same code as a QR code.
    pub qr: QrImage,
    /// The number both devices show.
    pub comparison: String,
    /// The name this device asks for.
    pub name: String,
}

/// What the device that has the vault gives back after adding one.
#[derive(Serialize, ts_rs::TS)]
pub struct DeviceAdded {
    /// The answer to give the new device.
    pub answer: String,
    /// The number the new device must show once it opened the answer.
    pub check: String,
}

/// A code as the device that has the vault reads it, before adding.
#[derive(Serialize, ts_rs::TS)]
pub struct PairingCheck {
    /// The new device's id.
    pub device: String,
    /// The name it asks for.
    pub name: String,
    /// The number the new device must show too.
    pub comparison: String,
}

type Held = Option<(PairingRequest, Option<OpenedAnswer>)>;

fn guard(p: &Pairing) -> std::sync::MutexGuard<'_, Held> {
    p.0.lock().unwrap_or_else(|e| e.into_inner())
}

/// New keys for this device and its code (any earlier pairing under way is forgotten).
#[tauri::command]
pub async fn pairing_start(pairing: State<'_, Pairing>, name: String) -> ApiResult<PairingStart> {
    let name = Some(name.trim()).filter(|n| !n.is_empty());
    let request = PairingRequest::new(name)?;
    let code = request.code();
    let start = PairingStart {
        qr: QrImage::of(&code)?,
        comparison: request.comparison(),
        name: request.name().to_string(),
        code,
    };
    *guard(&pairing) = Some((request, None));
    Ok(start)
}

/// Opens the answer the other device gave: returns the number it shows with it, for the user
/// to compare before anything is written.
#[tauri::command]
pub async fn pairing_open_answer(pairing: State<'_, Pairing>, answer: String) -> ApiResult<String> {
    let answer = zeroize::Zeroizing::new(answer);
    let mut held = guard(&pairing);
    let Some((request, opened)) = held.as_mut() else {
        return Err(no_pairing());
    };
    let open = request.open_answer(&answer)?;
    let check = open.check().to_string();
    *opened = Some(open);
    Ok(check)
}

fn no_pairing() -> ApiError {
    ApiError::new("invalid_input", "no pairing is under way: start again")
}

/// With the answer opened and its number seen on both devices: makes the vault under
/// `passphrase` and pulls everything (progress as `progress` events), then syncs on as usual.
#[tauri::command]
pub async fn pairing_finish(app: AppHandle, passphrase: String) -> ApiResult<()> {
    let events = app.clone();
    on_session(app.clone(), move |s: &Session| {
        let pairing = events.state::<Pairing>();
        let held = guard(&pairing);
        let Some((request, Some(opened))) = held.as_ref() else {
            return Err(no_pairing());
        };
        let pass = secret(passphrase);
        let (vault, _) = request.finish(
            opened,
            &s.dir,
            &pass,
            coffer_core::crypto::DEFAULT_WORK_FACTOR,
            &mut |p| {
                let _ = events.emit("progress", p);
            },
        )?;
        drop(held);
        *guard(&pairing) = None;
        s.set(vault);
        Ok(())
    })
    .await?;
    app.state::<SyncService>().set_up();
    Ok(())
}

/// Reads a code on a device that has the vault: who asks, and the number to compare.
#[tauri::command]
pub async fn pairing_check(code: String) -> ApiResult<PairingCheck> {
    let c = PairingCode::parse(&code)?;
    Ok(PairingCheck {
        device: c.device.to_string(),
        comparison: c.comparison(),
        name: c.name,
    })
}

/// Adds the device of `code` (after the user saw the numbers match): signs its joining, hands
/// it the keys, syncs, and returns the answer to give it, with its check.
#[tauri::command]
pub async fn add_device(app: AppHandle, code: String) -> ApiResult<DeviceAdded> {
    let code = PairingCode::parse(&code)?;
    let added = blocking(move || {
        let s = app.state::<Session>();
        s.with(|v| v.add_device(&code, None))
    })
    .await?;
    Ok(DeviceAdded {
        answer: added.answer,
        check: added.check,
    })
}

include!(concat!(env!("OUT_DIR"), "/client_pairing.rs"));
