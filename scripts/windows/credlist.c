/*
 * Lists the generic credentials of the current user as Windows' Credential Manager reports
 * them (CredEnumerateW, what `cmdkey /list` shows), one per line: the target name, a tab,
 * and the size of its secret in bytes. The Windows suite (tests/cases/windows.rs) reads the
 * store through it, not through jira-auth: which entries a profile left, and how large each
 * is. Test-only: built by scripts/test-windows.sh, never shipped.
 *
 *   x86_64-w64-mingw32-gcc -O2 -municode -o credlist.exe credlist.c -ladvapi32
 */
#include <windows.h>
#include <wincred.h>
#include <stdio.h>

int wmain(void)
{
    DWORD count = 0;
    PCREDENTIALW *creds = NULL;
    if (!CredEnumerateW(NULL, 0, &count, &creds)) {
        DWORD error = GetLastError();
        if (error == ERROR_NOT_FOUND)
            return 0; /* an empty store */
        fprintf(stderr, "credlist: CredEnumerateW failed: error %lu\n", (unsigned long)error);
        return 1;
    }
    for (DWORD i = 0; i < count; i++) {
        char name[4 * CRED_MAX_GENERIC_TARGET_NAME_LENGTH + 1];
        if (creds[i]->Type != CRED_TYPE_GENERIC)
            continue;
        if (!WideCharToMultiByte(CP_UTF8, 0, creds[i]->TargetName, -1, name, sizeof name, NULL, NULL)) {
            fprintf(stderr, "credlist: a target name could not be converted\n");
            CredFree(creds);
            return 1;
        }
        printf("%s\t%lu\n", name, (unsigned long)creds[i]->CredentialBlobSize);
    }
    CredFree(creds);
    return 0;
}
