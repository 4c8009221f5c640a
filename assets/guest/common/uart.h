#ifndef GUEST_UART_H
#define GUEST_UART_H

void uart_putc(char c);
int uart_getc_nonblock(void);           /* -1 when no byte is waiting */
void uart_set_rx_irq(int on);           /* IER bit 0: received-data interrupt */

#endif
