# faketime_asan.sh - ASAN_OPTIONS for a process run under libfaketime
# (sourced by the tests that preload it: hub held and office_expiry, sync
# clock, cli dates). Sets FAKETIME_ASAN to the caller's ASAN_OPTIONS plus:
#
#   allocator_release_to_os_interval_ms=-1
#     The ASan runtime is linked into our binaries, so its own calls to
#     clock_gettime reach libfaketime's: the allocator notes the time when
#     it first maps memory for a size class (a hub's start: 68 times), to
#     decide later whether to hand memory back to the system. When that
#     malloc happens inside libfaketime itself (its start-up, or re-reading
#     FAKETIME_TIMESTAMP_FILE), libfaketime 0.9.10
#     recurses ("Unexpected recursive calls to clock_gettime()") and the
#     process hangs on a lock it holds (libfaketime issues 365 and 391).
#     With no release interval the allocator never asks the time.
#   verify_asan_link_order=0
#     for a build whose ASan runtime is a shared library (clang's default):
#     it would insist on coming first in the preload list.
# shellcheck disable=SC2034 # read by the test that sources this
FAKETIME_ASAN="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_release_to_os_interval_ms=-1:verify_asan_link_order=0"
