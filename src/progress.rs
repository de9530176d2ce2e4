//! Where a long run is: the stage it is in and, where it counts, how far along. The library
//! only records it (a lock taken a few times per stage); the command line decides whether to
//! show it (a progress line on a terminal, `cli::progress`) and reads it from another thread.

use std::sync::Mutex;

/// The state of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    /// The stage, in Roster's words (`reading sources`, `writing`).
    pub stage: &'static str,
    /// Units done in this stage, and in all (0 when the stage does not count).
    pub done: usize,
    /// Units in all.
    pub total: usize,
    /// Bumped at every change of stage.
    pub generation: u64,
}

static STATE: Mutex<State> = Mutex::new(State {
    stage: "",
    done: 0,
    total: 0,
    generation: 0,
});

/// Enters `stage`.
pub fn stage(stage: &'static str) {
    if let Ok(mut s) = STATE.lock() {
        *s = State {
            stage,
            done: 0,
            total: 0,
            generation: s.generation.wrapping_add(1),
        };
    }
}

/// Enters `stage`, which counts `total` units.
pub fn counted(stage: &'static str, total: usize) {
    if let Ok(mut s) = STATE.lock() {
        *s = State {
            stage,
            done: 0,
            total,
            generation: s.generation.wrapping_add(1),
        };
    }
}

/// Records that `done` units of the current stage are done.
pub fn advance(done: usize) {
    if let Ok(mut s) = STATE.lock() {
        s.done = done;
    }
}

/// The current state.
pub fn now() -> State {
    STATE.lock().map(|s| *s).unwrap_or(State {
        stage: "",
        done: 0,
        total: 0,
        generation: 0,
    })
}
