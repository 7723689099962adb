/*
 * netdext/interrupts.h — interrupts without hardware, for test benches and simulated devices.
 *
 * Drivers never include this. On macOS a provider (an IOPCIDevice, say) has interrupts because
 * the hardware does; here the code that plays the hardware declares them:
 *
 *     netdext::offer_interrupts(provider, 2, kIOInterruptTypeLevel);  // before the driver Starts
 *     ... the driver does IOInterruptDispatchSource::Create(provider, 0, queue, &source) ...
 *     netdext::raise_interrupt(provider, 0);      // every enabled source on line 0 fires once
 *
 * Providers are identified by their registry entry ID, so an entry left behind by a provider
 * that was freed never matches another object. Thread-safety: any thread.
 */
#ifndef _NETDEXT_INTERRUPTS_H
#define _NETDEXT_INTERRUPTS_H

#include <stddef.h>
#include <stdint.h>

class IOService;

namespace netdext {

/* `provider` offers interrupts 0..count-1, all of `type` (kIOInterruptType*); count 0 withdraws
 * the offer. Sources already created keep working. */
void offer_interrupts(IOService *provider, uint32_t count, uint64_t type);
/* `provider` offers interrupts 0..count-1, interrupt i of types[i] (a PCI function: the INTx pin,
 * then its MSI vectors). */
void offer_interrupt_types(IOService *provider, const uint64_t *types, uint32_t count);
/* How many interrupts `provider` offers (0 if none). */
uint32_t offered_interrupts(IOService *provider);
/*
 * Interrupt `index` of `provider` fires `count` times: every live source created for it that is
 * enabled gets the interrupts (see IOInterruptDispatchSource.h). Returns how many sources took
 * them.
 */
size_t raise_interrupt(IOService *provider, uint32_t index, uint64_t count = 1);

} // namespace netdext

#endif
