#ifndef NRB_HOST_H
#define NRB_HOST_H
int nrb_host_placeholder(void);
#endif
