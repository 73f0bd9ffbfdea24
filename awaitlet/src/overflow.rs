//! A stack overflow on a coroutine stack ends the process with a message, not a bare `SIGSEGV`.
//!
//! Every coroutine stack has a `PROT_NONE` guard page at its low end (see `stack.rs`), so running
//! off it faults rather than corrupting memory. Left alone, that fault kills the process with
//! `SIGSEGV` and no word of why: Rust's own overflow reporter only knows the thread stacks.
//!
//! So before the first coroutine stack is mapped, [`prepare_thread`] installs a handler for
//! `SIGSEGV` and `SIGBUS` (once per process). It asks the thread-local slot which coroutine runs on
//! this thread; when the faulting address lies inside that coroutine's stack, which can only be its
//! guard page, it writes a message naming the coroutine stack and its `stack_size` to stderr and
//! aborts. Any other fault goes to the handler that was there before (Rust's reporter for thread
//! stacks, or the default action), exactly as if this one did not exist.
//!
//! The handler has to run on an alternate signal stack, since the faulting stack has no room left.
//! std sets one up for the threads it starts; `prepare_thread` gives one to any other thread that
//! maps a coroutine stack (an `AsyncDef` never leaves the thread that made it, so that is enough).
//!
//! The slot names no coroutine while a dropped one starts to unwind: its frame is on the stack
//! being unwound, and the unwinder runs before any destructor there. A coroutine suspended near
//! the end of its stack can overflow right then, in the unwinder, so [`Unwinding`] names that
//! stack for as long as the drop unwinds it.
//!
//! Only Linux and Android report it this way; elsewhere an overflow still hits the guard page.

#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use self::linux::{Unwinding, prepare_thread};

/// Elsewhere the guard page still stops an overflow, without the message.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn prepare_thread() {}

/// Elsewhere nothing reports an overflow, so nothing needs to know which stack is unwound.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) struct Unwinding;

#[cfg(not(any(target_os = "linux", target_os = "android")))]
impl Unwinding {
    pub(crate) fn enter(_stack: crate::context::StackBounds) -> Self {
        Unwinding
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux {
    use std::cell::Cell;
    use std::ptr;
    use std::sync::{Once, OnceLock};

    use libc::{c_int, c_void, siginfo_t};

    use crate::context::{self, Current, StackBounds};

    /// Bytes of the alternate signal stack this module maps for threads that have none.
    const ALT_STACK_SIZE: usize = 64 * 1024;

    /// The handlers that were installed before ours, for the faults that are not ours.
    static PREVIOUS_SEGV: OnceLock<libc::sigaction> = OnceLock::new();
    static PREVIOUS_BUS: OnceLock<libc::sigaction> = OnceLock::new();

    /// An alternate signal stack mapped here, disabled and unmapped when its thread exits.
    struct AltStack(Cell<Option<*mut c_void>>);

    impl Drop for AltStack {
        fn drop(&mut self) {
            if let Some(map) = self.0.take() {
                let disable = libc::stack_t {
                    ss_sp: ptr::null_mut(),
                    ss_flags: libc::SS_DISABLE,
                    ss_size: ALT_STACK_SIZE,
                };
                // SAFETY: `disable` is a valid `stack_t`; after this call the kernel no longer
                // delivers signals on `map`, so unmapping it below cannot pull the stack from under
                // a running handler (handlers run on this thread, which is exiting, not in one).
                unsafe { libc::sigaltstack(&disable, ptr::null_mut()) };
                // SAFETY: `map` is the `ALT_STACK_SIZE`-byte mapping made in `ensure_alt_stack`,
                // unmapped only here, once.
                unsafe { libc::munmap(map, ALT_STACK_SIZE) };
            }
        }
    }

    thread_local! {
        static CHECKED: Cell<bool> = const { Cell::new(false) };
        static OWN_ALT_STACK: AltStack = const { AltStack(Cell::new(None)) };
        /// The stack of the coroutine whose `AsyncDef` drop is unwinding it on this thread.
        static UNWINDING: Cell<Option<StackBounds>> = const { Cell::new(None) };
    }

    /// Names a coroutine stack being unwound by a drop, until dropped itself; nested drops (a
    /// destructor on that stack dropping another suspended `AsyncDef`) name theirs in turn.
    pub(crate) struct Unwinding {
        previous: Option<StackBounds>,
    }

    impl Unwinding {
        #[inline]
        pub(crate) fn enter(stack: StackBounds) -> Self {
            Unwinding {
                previous: UNWINDING.replace(Some(stack)),
            }
        }
    }

    impl Drop for Unwinding {
        #[inline]
        fn drop(&mut self) {
            UNWINDING.set(self.previous);
        }
    }

    /// Makes sure a coroutine stack overflow on this thread is reported: installs the handler
    /// once per process, and an alternate signal stack once per thread that lacks one.
    pub(crate) fn prepare_thread() {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            install(libc::SIGSEGV, &PREVIOUS_SEGV);
            install(libc::SIGBUS, &PREVIOUS_BUS);
        });
        if !CHECKED.replace(true) {
            ensure_alt_stack();
        }
    }

    fn install(signal: c_int, previous: &OnceLock<libc::sigaction>) {
        // SAFETY: `sigaction` is plain data; all zeroes is a valid (empty) value of it.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = handle as extern "C" fn(c_int, *mut siginfo_t, *mut c_void) as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        // SAFETY: `sa_mask` is a valid `sigset_t` for `sigemptyset` to initialise.
        unsafe { libc::sigemptyset(&mut action.sa_mask) };
        // SAFETY: as above, a zeroed `sigaction` is a valid place for the kernel to write into.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // Store the old action before ours can run: the handler reads it to forward.
        // SAFETY: both pointers are to valid `sigaction`s; the handler is `extern "C"` with the
        // `SA_SIGINFO` signature.
        let installed = unsafe { libc::sigaction(signal, ptr::null(), &mut old) } == 0;
        if installed && previous.set(old).is_ok() {
            // SAFETY: as above.
            unsafe { libc::sigaction(signal, &action, ptr::null_mut()) };
        }
    }

    fn ensure_alt_stack() {
        // SAFETY: `stack_t` is plain data; all zeroes is a valid value for the kernel to fill.
        let mut current: libc::stack_t = unsafe { std::mem::zeroed() };
        // SAFETY: a null new stack only queries; `current` is valid to write.
        if unsafe { libc::sigaltstack(ptr::null(), &mut current) } != 0
            || current.ss_flags & libc::SS_DISABLE == 0
        {
            return; // there is one already (std's), or we cannot tell: leave it be
        }
        // SAFETY: an anonymous private mapping with no address hint has no preconditions.
        let map = unsafe {
            libc::mmap(
                ptr::null_mut(),
                ALT_STACK_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return; // overflows on this thread will be a bare SIGSEGV, as without this module
        }
        let alt = libc::stack_t {
            ss_sp: map,
            ss_flags: 0,
            ss_size: ALT_STACK_SIZE,
        };
        // SAFETY: `map` is a fresh read-write mapping of `ALT_STACK_SIZE` bytes that stays mapped
        // until `AltStack::drop` disables it first.
        if unsafe { libc::sigaltstack(&alt, ptr::null_mut()) } == 0 {
            OWN_ALT_STACK.with(|own| own.0.set(Some(map)));
        } else {
            // SAFETY: the mapping was never handed to the kernel as a signal stack.
            unsafe { libc::munmap(map, ALT_STACK_SIZE) };
        }
    }

    /// The `SIGSEGV`/`SIGBUS` handler. Only async-signal-safe work: a thread-local read, `write`,
    /// `abort`, or a call of the previous handler.
    extern "C" fn handle(signal: c_int, info: *mut siginfo_t, context: *mut c_void) {
        // SAFETY: the kernel passes a valid `siginfo_t` to an `SA_SIGINFO` handler, and for these
        // two signals `si_addr` is the faulting address.
        let address = unsafe { (*info).si_addr() } as usize;
        if let Some(stack_size) = overflowed_coroutine(address) {
            report(stack_size);
            // SAFETY: `abort` is async-signal-safe and never returns.
            unsafe { libc::abort() };
        }
        forward(signal, info, context);
    }

    /// The `stack_size` of the coroutine running on this thread, or being unwound by a drop on
    /// it, if `address` is in its stack.
    fn overflowed_coroutine(address: usize) -> Option<usize> {
        // Both are `const` thread-locals without a destructor: reading them is a plain load.
        let running = match context::current() {
            Current::Running(frame)
            | Current::Cancelling {
                frame: Some(frame), ..
            } => {
                // SAFETY: the slot names a frame only while its coroutine runs on this thread, and
                // the fault interrupted that code: the frame is alive and not being written.
                Some(unsafe { frame.as_ref() }.stack())
            }
            _ => None,
        };
        [running, UNWINDING.get()]
            .into_iter()
            .flatten()
            .find(|stack| stack.contains(address))
            .map(|stack| stack.size)
    }

    /// Writes the overflow message to stderr without allocating.
    fn report(stack_size: usize) {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut rest = stack_size;
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let parts: [&[u8]; 3] = [
            b"\nawaitlet: an async_def coroutine has overflowed its stack (stack_size = ",
            &digits[start..],
            b" bytes); give it a larger stack with `#[async_def(stack_size = N)]` or \
              `awaitlet::Builder::stack_size(N)`\nfatal runtime error: coroutine stack overflow, \
              aborting\n",
        ];
        for part in parts {
            // SAFETY: `write` is async-signal-safe; `part` is a valid slice. A short or failed
            // write only shortens the message, and we abort right after.
            unsafe { libc::write(libc::STDERR_FILENO, part.as_ptr().cast(), part.len()) };
        }
    }

    /// Hands a fault that is not a coroutine overflow to the handler installed before ours.
    fn forward(signal: c_int, info: *mut siginfo_t, context: *mut c_void) {
        let previous = if signal == libc::SIGSEGV {
            PREVIOUS_SEGV.get()
        } else {
            PREVIOUS_BUS.get()
        };
        let Some(previous) = previous else { return };
        match previous.sa_sigaction {
            libc::SIG_DFL | libc::SIG_IGN => {
                // Restore the default action and return: the faulting instruction runs again and
                // the fault kills the process the way it would have without us.
                // SAFETY: a zeroed `sigaction` with `SIG_DFL` (0) is the default action.
                let mut default: libc::sigaction = unsafe { std::mem::zeroed() };
                default.sa_sigaction = libc::SIG_DFL;
                // SAFETY: `default` is a valid `sigaction`; `sigaction` is async-signal-safe.
                unsafe { libc::sigaction(signal, &default, ptr::null_mut()) };
            }
            handler if previous.sa_flags & libc::SA_SIGINFO != 0 => {
                // SAFETY: with `SA_SIGINFO` the previous handler was registered with this
                // signature, and we pass on the kernel's own arguments.
                let handler: extern "C" fn(c_int, *mut siginfo_t, *mut c_void) =
                    unsafe { std::mem::transmute(handler) };
                handler(signal, info, context);
            }
            handler => {
                // SAFETY: without `SA_SIGINFO` the previous handler takes only the signal number.
                let handler: extern "C" fn(c_int) = unsafe { std::mem::transmute(handler) };
                handler(signal);
            }
        }
    }
}
