//
//  Misbehaviour.h
//  MisbehavingNic
//
//  The rule MisbehavingNic breaks, chosen with the boot-arg bad=N. Shared by the driver and its
//  bench tests. Each comment says where the misuse happens and who should notice it.
//

#ifndef MisbehavingNic_Misbehaviour_h
#define MisbehavingNic_Misbehaviour_h

enum Misbehaviour {
    kMisbehaviourNone = 0,              // a correct driver
    kMisbehaviourEnqueueTwice = 1,      // TX: completes the same packet twice
    kMisbehaviourEnqueueAfterFree = 2,  // TX: DeallocatePacket, then completes it anyway
    kMisbehaviourEnqueueNeverDequeued = 3, // RX: completes a packet it never dequeued (newPacket)
    kMisbehaviourPastBuffer = 4,        // RX: offset + length past the end of the buffer
    kMisbehaviourDequeueCompletion = 5, // TX: DequeuePackets on the TX completion queue
    kMisbehaviourLeakAtStop = 6,        // TX: keeps every packet it dequeues, past Stop
    kMisbehaviourSyncOntoSelf = 7,      // TX: DispatchSync onto its own Default queue
    kMisbehaviourWrongPool = 8,         // TX: DeallocatePacket to a second pool
    kMisbehaviourEnqueueSubmission = 9, // RX: EnqueuePacket on the RX submission queue
    kMisbehaviourRxOnTxCompletion = 10, // RX: completes an RX buffer on the TX completion queue
    kMisbehaviourZeroLengthRx = 11,     // RX: completes a received frame of length 0
    kMisbehaviourOtherPoolPacket = 12,  // RX: completes a packet of another pool
    kMisbehaviourTouchAfterEnqueue = 13, // RX: setDataLength on a packet already handed back
    kMisbehaviourDeallocateTwice = 14,  // TX: DeallocatePacket twice (then nothing)
    kMisbehaviourCount = 15,
};

#endif /* MisbehavingNic_Misbehaviour_h */
