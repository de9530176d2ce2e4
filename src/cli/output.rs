//! Checked writes to standard output and standard error.
//!
//! Every byte a command prints goes through [`out`], [`err`] or [`Stdout`]; the print macros
//! are denied by clippy (`print_stdout`, `print_stderr` in `Cargo.toml`), because they panic
//! when a stream is closed and silently lose output when a write fails.
//!
//! The contract (README, "Exit codes"):
//!
//! - **A closed pipe** (`roster eval | head -1`, `2>&1 | head -1`): the reader has what it
//!   wanted. Writing to that stream stops quietly, the command finishes its work, and the exit
//!   status is the one it would have had with the whole output read (as if done). Nothing is
//!   printed about it.
//! - **Any other write error** (`> /dev/full`, a disk that fills up, an I/O error): the output
//!   is incomplete, so the command exits 2 ("could not run") and says so on standard error,
//!   `error: cannot write to standard output: ...`. When standard error is the stream that
//!   failed, the message is attempted once more and then dropped; the exit status is 2 either
//!   way.
//!
//! The state is process-wide (one pair of streams per process): a command writes as it goes
//! and [`finish`] turns a failure into the exit status at the end.

use std::io::{self, Write as _};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

use super::ExitStatus;

/// The two standard streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output: the command's result.
    Out,
    /// Standard error: diagnostics and notes.
    Err,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Out => "standard output",
            Stream::Err => "standard error",
        }
    }

    fn state(self) -> &'static AtomicU8 {
        match self {
            Stream::Out => &OUT,
            Stream::Err => &ERR,
        }
    }
}

/// Still writable.
const OPEN: u8 = 0;
/// The reader went away (a broken pipe): later writes are skipped, quietly.
const CLOSED: u8 = 1;
/// A write failed for another reason: later writes are skipped and the run exits 2.
const FAILED: u8 = 2;

static OUT: AtomicU8 = AtomicU8::new(OPEN);
static ERR: AtomicU8 = AtomicU8::new(OPEN);
/// The first write failure, for the final message.
static FAILURE: Mutex<Option<String>> = Mutex::new(None);

/// Whether `stream` still takes writes (not closed by its reader, no failed write).
pub fn is_open(stream: Stream) -> bool {
    stream.state().load(Ordering::Relaxed) == OPEN
}

/// Records a failed write to `stream`: a broken pipe closes it quietly, anything else marks
/// the run as failed.
pub fn record(stream: Stream, error: &io::Error) {
    if error.kind() == io::ErrorKind::BrokenPipe {
        let _ = stream
            .state()
            .compare_exchange(OPEN, CLOSED, Ordering::Relaxed, Ordering::Relaxed);
        return;
    }
    stream.state().store(FAILED, Ordering::Relaxed);
    if let Ok(mut first) = FAILURE.lock()
        && first.is_none()
    {
        *first = Some(format!("cannot write to {}: {error}", stream.name()));
    }
}

/// Writes `text` to `stream` and flushes it. Returns whether the stream still takes writes, so
/// that long outputs can stop early.
pub fn write(stream: Stream, text: &str) -> bool {
    if !is_open(stream) {
        return false;
    }
    // The progress line shares the terminal with standard error (standard output on the same
    // terminal never meets it: the line is gone before a report is written there).
    if stream == Stream::Err {
        super::progress::clear();
    }
    let result = match stream {
        Stream::Out => {
            let mut lock = io::stdout().lock();
            lock.write_all(text.as_bytes()).and_then(|()| lock.flush())
        }
        Stream::Err => {
            let mut lock = io::stderr().lock();
            lock.write_all(text.as_bytes()).and_then(|()| lock.flush())
        }
    };
    match result {
        Ok(()) => true,
        Err(e) => {
            record(stream, &e);
            false
        }
    }
}

/// Writes to standard output (see [`write()`]).
pub fn out(text: &str) -> bool {
    write(Stream::Out, text)
}

/// Writes to standard error (see [`write()`]).
pub fn err(text: &str) -> bool {
    write(Stream::Err, text)
}

/// Standard output as an [`io::Write`], for reports streamed in pieces: errors are recorded as
/// [`write()`] records them and passed on, so the writer stops at the first.
pub struct Stdout;

impl io::Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !is_open(Stream::Out) {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        io::stdout()
            .lock()
            .write(buf)
            .inspect_err(|e| record(Stream::Out, e))
    }

    /// Many pieces in one system call (`writev`), without copying them into a buffer first:
    /// how the JSON Lines writer hands over a batch of identity lines.
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        if !is_open(Stream::Out) {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        io::stdout()
            .lock()
            .write_vectored(bufs)
            .inspect_err(|e| record(Stream::Out, e))
    }

    fn flush(&mut self) -> io::Result<()> {
        if !is_open(Stream::Out) {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        io::stdout()
            .lock()
            .flush()
            .inspect_err(|e| record(Stream::Out, e))
    }
}

/// The buffer [`widen_pipe`] asks for: 1 MiB, the most an unprivileged process may ask for
/// by default (`/proc/sys/fs/pipe-max-size`).
#[cfg(target_os = "linux")]
const WIDE_PIPE: usize = 1 << 20;

/// When standard output is a pipe, widens its buffer to 1 MiB (from the kernel's 64 KiB) for a
/// report of gigabytes: the writer and the reader (`jq`, `wc`) then take turns 16 times less
/// often. Nothing changes otherwise (not a pipe, a buffer already as wide, a refusal).
pub fn widen_pipe() {
    #[cfg(target_os = "linux")]
    {
        let out = io::stdout();
        if let Ok(size) = rustix::pipe::fcntl_getpipe_size(&out)
            && size < WIDE_PIPE
        {
            let _ = rustix::pipe::fcntl_setpipe_size(&out, WIDE_PIPE);
        }
    }
}

/// The exit status of a run whose command returned `status`: 2 when a write failed (other than
/// a closed pipe), with the reason on standard error; else `status`.
pub fn finish(status: ExitStatus) -> ExitStatus {
    // Flush what the standard library may still buffer; a failure here counts as well.
    if is_open(Stream::Out)
        && let Err(e) = io::stdout().lock().flush()
    {
        record(Stream::Out, &e);
    }
    let failure = FAILURE.lock().ok().and_then(|mut f| f.take());
    match failure {
        None => status,
        Some(message) => {
            // Standard error may be the stream that failed: one attempt, then give up.
            let _ = writeln!(io::stderr().lock(), "error: {message}");
            ExitStatus::Error
        }
    }
}
