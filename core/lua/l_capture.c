/* placeholder, replaced in step 4 */
typedef int nrb_l_capture_placeholder;
