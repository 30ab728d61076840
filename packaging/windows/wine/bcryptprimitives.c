/*
 * bcryptprimitives.dll for Wine 8, which lacks it: the Go runtime (1.22+)
 * draws its random bytes from ProcessPrng. Built by scripts/msi-smoke.sh
 * with mingw-w64; never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
	return SystemFunction036(data, (ULONG)length);
}
