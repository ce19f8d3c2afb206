//! glibc, called directly: the subid target's reference reads a file the way shadow's
//! C code does, with the C library's own `fgets` and `strtoul`.

use std::ffi::{c_char, c_int, CString};
use std::ptr::NonNull;

/// A read-only `FILE` over bytes in memory (`fmemopen(3)`, mode `"r"`).
pub struct MemFile {
    // fmemopen reads the buffer; it must stay where it is while the FILE is open.
    _data: Box<[u8]>,
    file: NonNull<libc::FILE>,
}

impl MemFile {
    /// Opens a `FILE` on a copy of `data` (not empty: glibc refuses a size of 0 in some
    /// versions).
    pub fn open(data: &[u8]) -> Option<MemFile> {
        let mut data: Box<[u8]> = data.into();
        // SAFETY: fmemopen reads `data.len()` bytes at `data`, a heap buffer that this
        // struct owns and frees only after fclose; mode is a NUL-terminated string.
        let file = unsafe { libc::fmemopen(data.as_mut_ptr().cast(), data.len(), c"r".as_ptr()) };
        Some(MemFile {
            _data: data,
            file: NonNull::new(file)?,
        })
    }

    /// `fgets(buf + at, n, file)`: whether it returned the buffer (not NULL).
    pub fn fgets(&mut self, buf: &mut [u8], at: usize, n: usize) -> bool {
        assert!(at + n <= buf.len() && n > 0, "fgets past the buffer");
        let n = c_int::try_from(n).unwrap_or(c_int::MAX);
        // SAFETY: fgets writes at most n bytes (n - 1 and a NUL) from buf + at, which the
        // assertion keeps inside `buf`; the FILE is open.
        let r = unsafe {
            libc::fgets(
                buf.as_mut_ptr().add(at).cast::<c_char>(),
                n,
                self.file.as_ptr(),
            )
        };
        !r.is_null()
    }

    /// `feof(file)`.
    pub fn eof(&self) -> bool {
        // SAFETY: the FILE is open.
        unsafe { libc::feof(self.file.as_ptr()) != 0 }
    }
}

impl Drop for MemFile {
    fn drop(&mut self) {
        // SAFETY: the FILE was opened by fmemopen and is closed once, here.
        unsafe { libc::fclose(self.file.as_ptr()) };
    }
}

/// The bytes of `buf` before its first NUL.
pub fn c_str(buf: &[u8]) -> &[u8] {
    buf.iter()
        .position(|&b| b == 0)
        .map_or(buf, |nul| &buf[..nul])
}

/// shadow's `getulong`: glibc's `strtoul(field, &end, 0)`, which must take the whole
/// field without `ERANGE`.
pub fn getulong(field: &[u8]) -> Option<libc::c_ulong> {
    let text = CString::new(field).ok()?;
    let mut end: *mut c_char = std::ptr::null_mut();
    // SAFETY: errno is this thread's; strtoul reads the NUL-terminated `text` and sets
    // `end` to a pointer into it.
    let (value, errno, rest) = unsafe {
        *libc::__errno_location() = 0;
        let value = libc::strtoul(text.as_ptr(), &mut end, 0);
        (value, *libc::__errno_location(), *end)
    };
    (!field.is_empty() && rest == 0 && errno != libc::ERANGE).then_some(value)
}
