/*
 * user/lib/crt0.S - where every user program starts.
 *
 * The kernel enters user mode at _start (the ELF entry point) with all
 * general registers except rsp undefined, and rsp pointing at the initial
 * process stack of the System V x86-64 ABI (section 3.4.1), without the
 * auxiliary vector:
 *
 *     rsp ->  argc                      (8 bytes)
 *             argv[0] .. argv[argc-1]   (pointers)
 *             NULL
 *             envp[0] .. envp[n-1]      (pointers)
 *             NULL
 *             ... the strings themselves, higher up
 *
 * _start does what the C runtime needs before main():
 *   1. clear rbp, so a debugger's backtrace ends here;
 *   2. compute argc, argv and envp from the stack, store envp in newlib's
 *      `environ` (getenv, execv and system read it);
 *   3. align rsp to 16 bytes (the ABI wants rsp+8 aligned at a function's
 *      first instruction, i.e. rsp aligned just before the call);
 *   4. run the constructors (__libc_init_array: .preinit_array, _init,
 *      .init_array) and register the destructors with atexit;
 *   5. call main(argc, argv, envp) and hand its result to newlib's exit(),
 *      which flushes stdio and then calls _exit (the SYS_exit system call).
 */
    .text
    .globl  _start
    .type   _start, @function
_start:
    .cfi_startproc
    .cfi_undefined rip              /* no caller: unwinding stops here */
    xorl    %ebp, %ebp

    movq    (%rsp), %r12            /* r12 = argc (callee-saved from here on) */
    leaq    8(%rsp), %r13           /* r13 = argv */
    leaq    16(%rsp,%r12,8), %r14   /* r14 = envp = argv + argc + 1 */
    movq    %r14, environ(%rip)

    andq    $-16, %rsp

    call    __libc_init_array
    leaq    __libc_fini_array(%rip), %rdi
    call    atexit

    movl    %r12d, %edi
    movq    %r13, %rsi
    movq    %r14, %rdx
    call    main

    movl    %eax, %edi
    call    exit
    ud2                             /* exit() does not return */
    .cfi_endproc
    .size   _start, . - _start

/*
 * newlib is built with HAVE_INIT_FINI, so __libc_init_array calls _init and
 * __libc_fini_array calls _fini. Nothing uses the old .init/.fini sections,
 * so both are empty (weak: a program may still supply its own).
 */
    .weak   _init
    .type   _init, @function
_init:
    ret
    .size   _init, . - _init

    .weak   _fini
    .type   _fini, @function
_fini:
    ret
    .size   _fini, . - _fini

    .section .note.GNU-stack, "", @progbits
