//! A memory hint for large batch buffers: ask the kernel to back them with transparent huge
//! pages.
//!
//! Contract: [`hint_huge_pages`] never changes a buffer's contents, length or capacity; it
//! only advises the kernel (`madvise(MADV_HUGEPAGE)`) about the 2 MiB-aligned part of the
//! buffer's spare capacity, and only when that is at least [`HUGE_HINT_MIN`] bytes. A batch of
//! 100,000 rules is about 40 MiB: written into 4 KiB pages it takes 10,000 first-touch page
//! faults, which cost as much time as encoding it; in 2 MiB pages, 20. Smaller buffers are left
//! alone (their faults cost little, and whole 2 MiB pages would round the resident size up).
//! Where the hint is unknown (not Linux) or refused (THP disabled), nothing happens.

/// The smallest spare capacity advised (16 MiB, about 40,000 rules).
pub(crate) const HUGE_HINT_MIN: usize = 16 << 20;

/// The transparent huge page size the hint aligns to.
const HUGE_PAGE: usize = 2 << 20;

/// Advises huge pages for the spare capacity of `buf` (see the module contract).
pub(crate) fn hint_huge_pages(buf: &mut Vec<u8>) {
    let spare = buf.spare_capacity_mut();
    if spare.len() < HUGE_HINT_MIN {
        return;
    }
    let start = spare.as_mut_ptr() as usize;
    let first = start.div_ceil(HUGE_PAGE) * HUGE_PAGE;
    let last = (start + spare.len()) / HUGE_PAGE * HUGE_PAGE;
    if last > first {
        advise(first, last - first);
    }
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // madvise(2): the only FFI of the wire module.
fn advise(addr: usize, len: usize) {
    // SAFETY: [addr, addr + len) lies inside the spare capacity of a live Vec allocation
    // owned by the caller (page-aligned by construction); MADV_HUGEPAGE changes neither its
    // mapping's contents nor its validity, only how the kernel backs untouched pages. The
    // result is ignored: a refused hint leaves 4 KiB pages.
    unsafe {
        libc::madvise(addr as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_addr: usize, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_contents_and_small_buffers_alone() {
        let mut small = vec![1u8, 2, 3];
        small.reserve(1 << 20);
        let cap = small.capacity();
        hint_huge_pages(&mut small);
        assert_eq!(
            (small.as_slice(), small.capacity()),
            (&[1u8, 2, 3][..], cap)
        );
        let mut big = vec![7u8; 5];
        big.reserve(HUGE_HINT_MIN + 3 * HUGE_PAGE);
        let cap = big.capacity();
        hint_huge_pages(&mut big);
        big.resize(HUGE_HINT_MIN, 9);
        assert_eq!(
            (&big[..5], big[HUGE_HINT_MIN - 1], big.capacity()),
            (&[7u8; 5][..], 9, cap)
        );
    }
}
