//
//  ConditionalNicConfig.h
//  ConditionalNic
//
//  Which hardware generation and features this build of the driver has. The .iig includes it,
//  so iig (Apple's, and netdext's) sees the same answers as the compiler.
//

#ifndef ConditionalNicConfig_h
#define ConditionalNicConfig_h

#define CONDITIONAL_NIC_GENERATION 2
#define CONDITIONAL_NIC_HAS_STATS 1

#endif /* ConditionalNicConfig_h */
