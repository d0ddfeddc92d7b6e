/*
 * A stand-in for Windows' bcryptprimitives.dll, for the wine test lane
 * only (scripts/test-windows). The Go runtime (1.24 and later) asks that
 * DLL for ProcessPrng, which wine 8.0 does not provide; this one forwards
 * it to RtlGenRandom (advapi32's SystemFunction036), which wine has.
 * It is never shipped: real Windows has the real DLL.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
