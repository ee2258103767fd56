/*
 * A stand-in for Windows' bcryptprimitives.dll, for running the Windows build under Wine 8
 * (Debian 12's), which lacks the DLL. Rust's standard library (1.78 and later) calls its
 * ProcessPrng for random bytes (HashMap keys) before main; without it the program does not
 * start ("Library bcryptprimitives.dll not found", status c0000135). This one fills the
 * buffer from advapi32's RtlGenRandom (SystemFunction036), which Wine has, and is placed
 * beside the .exe by scripts/test-windows.sh. Test-only: never shipped.
 *
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    /* RtlGenRandom takes a ULONG length; ProcessPrng a SIZE_T. */
    while (length > 0) {
        ULONG part = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, part))
            return FALSE;
        data += part;
        length -= part;
    }
    return TRUE;
}
