//! The ledger: one row per action, skips and waits with their notes.

use super::*;

impl<'a> Engine<'a> {
    /// A ledger row with no cash flow but a note (an action skipped, waiting).
    pub(super) fn log_note(
        &mut self,
        i: usize,
        action: LedgerAction,
        target: &str,
        amount: f64,
        note: String,
    ) {
        self.log_entry(i, action, target, [amount, 0.0, 0.0, 0.0], note);
    }

    /// Records an action not executed, with its reason.
    pub(super) fn skip(&mut self, i: usize, what: &str, target: &str, reason: String) -> Outcome {
        self.st.counts.skipped += 1;
        self.log_note(
            i,
            LedgerAction::Skipped,
            target,
            0.0,
            format!("{what} not executed: {reason}"),
        );
        Outcome::Skipped(reason)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn log(
        &mut self,
        i: usize,
        action: LedgerAction,
        target: &str,
        amount: f64,
        gas: f64,
        swap: f64,
        vault: f64,
    ) {
        self.log_entry(i, action, target, [amount, gas, swap, vault], String::new());
    }

    /// A ledger row (`State::entry`).
    pub(super) fn log_entry(
        &mut self,
        i: usize,
        action: LedgerAction,
        target: &str,
        amounts: [f64; 4],
        note: String,
    ) {
        self.st.entry(&self.cx, i, action, target, amounts, note);
    }
}

impl State {
    /// The one place a ledger row is made: `[amount, gas, swap, vault]` in USD.
    pub(super) fn entry(
        &mut self,
        cx: &Context<'_>,
        i: usize,
        action: LedgerAction,
        target: &str,
        [amount, gas, swap, vault]: [f64; 4],
        note: String,
    ) {
        // Light runs (sweeps keeping no series) keep no ledger either.
        if cx.config.light {
            return;
        }
        self.ledger.push(LedgerEntry {
            step: i,
            timestamp: cx.market.grid.at(i),
            action,
            target: target.to_string(),
            amount_usd: ledger::usd(amount),
            gas_usd: ledger::usd(gas),
            swap_cost_usd: ledger::usd(swap),
            vault_fee_usd: ledger::usd(vault),
            note,
        });
    }
}
