/* Polled NS16550A console behind picolibc's stdin/stdout/stderr. */
#include <stdio.h>
#include "platform.h"
#include "uart.h"

#define UART_RBR 0      /* receive buffer (read) */
#define UART_THR 0      /* transmit holding (write) */
#define UART_IER 1
#define UART_LSR 5
#define LSR_DR   0x01   /* data ready */
#define LSR_THRE 0x20   /* transmit holding register empty */

void uart_putc(char c)
{
    while (!(mmio_read8(UART0_BASE + UART_LSR) & LSR_THRE))
        ;
    mmio_write8(UART0_BASE + UART_THR, (uint8_t)c);
}

int uart_getc_nonblock(void)
{
    if (!(mmio_read8(UART0_BASE + UART_LSR) & LSR_DR))
        return -1;
    return mmio_read8(UART0_BASE + UART_RBR);
}

void uart_set_rx_irq(int on)
{
    mmio_write8(UART0_BASE + UART_IER, on ? 0x01 : 0x00);
}

static int stream_put(char c, FILE *f)
{
    (void)f;
    if (c == '\n')
        uart_putc('\r');
    uart_putc(c);
    return (unsigned char)c;
}

static int stream_get(FILE *f)
{
    int c;
    (void)f;
    while ((c = uart_getc_nonblock()) < 0)
        ;
    return c;
}

static FILE console = FDEV_SETUP_STREAM(stream_put, stream_get, NULL, _FDEV_SETUP_RW);
FILE *const stdin = &console;
FILE *const stdout = &console;
FILE *const stderr = &console;
