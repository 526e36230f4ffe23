"""Generated from podgate.k8s.shape.POD by `python -m podgate.k8s.shape`: do not edit.

Whether a pod fits the schema (`shape.fits_source`)."""

from collections.abc import Mapping
from typing import Any


def fits(v0: Any) -> bool:
    if v0 is not None:
        if type(v0) is not dict and not isinstance(v0, Mapping): return False
        v1 = v0.get('metadata')
        if v1 is not None:
            if type(v1) is not dict and not isinstance(v1, Mapping): return False
            v2 = v1.get('name')
            if v2 is not None and not isinstance(v2, str): return False
            v3 = v1.get('namespace')
            if v3 is not None and not isinstance(v3, str): return False
            v4 = v1.get('annotations')
            if v4 is not None:
                if type(v4) is not dict and not isinstance(v4, Mapping): return False
                for v5 in v4.values():
                    if v5 is not None and not isinstance(v5, str): return False
            v6 = v1.get('labels')
            if v6 is not None:
                if type(v6) is not dict and not isinstance(v6, Mapping): return False
                for v7 in v6.values():
                    if v7 is not None and not isinstance(v7, str): return False
        v8 = v0.get('spec')
        if v8 is not None:
            if type(v8) is not dict and not isinstance(v8, Mapping): return False
            v9 = v8.get('hostNetwork')
            if v9 is not None and not isinstance(v9, bool): return False
            v10 = v8.get('hostPID')
            if v10 is not None and not isinstance(v10, bool): return False
            v11 = v8.get('hostIPC')
            if v11 is not None and not isinstance(v11, bool): return False
            v12 = v8.get('hostUsers')
            if v12 is not None and not isinstance(v12, bool): return False
            v13 = v8.get('serviceAccountName')
            if v13 is not None and not isinstance(v13, str): return False
            v14 = v8.get('runtimeClassName')
            if v14 is not None and not isinstance(v14, str): return False
            v15 = v8.get('os')
            if v15 is not None:
                if type(v15) is not dict and not isinstance(v15, Mapping): return False
                v16 = v15.get('name')
                if v16 is not None and not isinstance(v16, str): return False
            v17 = v8.get('securityContext')
            if v17 is not None:
                if type(v17) is not dict and not isinstance(v17, Mapping): return False
                v18 = v17.get('runAsUser')
                if v18 is not None and (not isinstance(v18, int) or isinstance(v18, bool) or not -9223372036854775808 <= v18 <= 9223372036854775807): return False
                v19 = v17.get('runAsGroup')
                if v19 is not None and (not isinstance(v19, int) or isinstance(v19, bool) or not -9223372036854775808 <= v19 <= 9223372036854775807): return False
                v20 = v17.get('runAsNonRoot')
                if v20 is not None and not isinstance(v20, bool): return False
                v21 = v17.get('fsGroup')
                if v21 is not None and (not isinstance(v21, int) or isinstance(v21, bool) or not -9223372036854775808 <= v21 <= 9223372036854775807): return False
                v22 = v17.get('supplementalGroups')
                if v22 is not None:
                    if not isinstance(v22, list): return False
                    for v23 in v22:
                        if v23 is not None and (not isinstance(v23, int) or isinstance(v23, bool) or not -9223372036854775808 <= v23 <= 9223372036854775807): return False
                v24 = v17.get('seLinuxOptions')
                if v24 is not None:
                    if type(v24) is not dict and not isinstance(v24, Mapping): return False
                    v25 = v24.get('user')
                    if v25 is not None and not isinstance(v25, str): return False
                    v26 = v24.get('role')
                    if v26 is not None and not isinstance(v26, str): return False
                    v27 = v24.get('type')
                    if v27 is not None and not isinstance(v27, str): return False
                    v28 = v24.get('level')
                    if v28 is not None and not isinstance(v28, str): return False
                v29 = v17.get('sysctls')
                if v29 is not None:
                    if not isinstance(v29, list): return False
                    for v30 in v29:
                        if v30 is None: return False
                        if v30 is not None:
                            if type(v30) is not dict and not isinstance(v30, Mapping): return False
                            v31 = v30.get('name')
                            if v31 is not None and not isinstance(v31, str): return False
                            v32 = v30.get('value')
                            if v32 is not None and not isinstance(v32, str): return False
                v33 = v17.get('seccompProfile')
                if v33 is not None:
                    if type(v33) is not dict and not isinstance(v33, Mapping): return False
                    v34 = v33.get('type')
                    if v34 is not None and not isinstance(v34, str): return False
                    v35 = v33.get('localhostProfile')
                    if v35 is not None and not isinstance(v35, str): return False
                v36 = v17.get('appArmorProfile')
                if v36 is not None:
                    if type(v36) is not dict and not isinstance(v36, Mapping): return False
                    v37 = v36.get('type')
                    if v37 is not None and not isinstance(v37, str): return False
                    v38 = v36.get('localhostProfile')
                    if v38 is not None and not isinstance(v38, str): return False
                v39 = v17.get('windowsOptions')
                if v39 is not None:
                    if type(v39) is not dict and not isinstance(v39, Mapping): return False
                    v40 = v39.get('hostProcess')
                    if v40 is not None and not isinstance(v40, bool): return False
                    v41 = v39.get('runAsUserName')
                    if v41 is not None and not isinstance(v41, str): return False
            v42 = v8.get('volumes')
            if v42 is not None:
                if not isinstance(v42, list): return False
                for v43 in v42:
                    if v43 is None: return False
                    if v43 is not None:
                        if type(v43) is not dict and not isinstance(v43, Mapping): return False
                        v44 = v43.get('name')
                        if v44 is not None and not isinstance(v44, str): return False
                        v45 = v43.get('hostPath')
                        if v45 is not None:
                            if type(v45) is not dict and not isinstance(v45, Mapping): return False
                            v46 = v45.get('path')
                            if v46 is not None and not isinstance(v46, str): return False
                            v47 = v45.get('type')
                            if v47 is not None and not isinstance(v47, str): return False
                        v48 = v43.get('flexVolume')
                        if v48 is not None:
                            if type(v48) is not dict and not isinstance(v48, Mapping): return False
                            v49 = v48.get('driver')
                            if v49 is not None and not isinstance(v49, str): return False
                        v50 = v43.get('csi')
                        if v50 is not None:
                            if type(v50) is not dict and not isinstance(v50, Mapping): return False
                            v51 = v50.get('driver')
                            if v51 is not None and not isinstance(v51, str): return False
            v52 = v8.get('initContainers')
            if v52 is not None:
                if not isinstance(v52, list): return False
                for v53 in v52:
                    if v53 is None: return False
                    if v53 is not None:
                        if type(v53) is not dict and not isinstance(v53, Mapping): return False
                        v54 = v53.get('name')
                        if v54 is not None and not isinstance(v54, str): return False
                        v55 = v53.get('ports')
                        if v55 is not None:
                            if not isinstance(v55, list): return False
                            for v56 in v55:
                                if v56 is None: return False
                                if v56 is not None:
                                    if type(v56) is not dict and not isinstance(v56, Mapping): return False
                                    v57 = v56.get('containerPort')
                                    if v57 is not None and (not isinstance(v57, int) or isinstance(v57, bool) or not -2147483648 <= v57 <= 2147483647): return False
                                    v58 = v56.get('hostPort')
                                    if v58 is not None and (not isinstance(v58, int) or isinstance(v58, bool) or not -2147483648 <= v58 <= 2147483647): return False
                        v59 = v53.get('volumeMounts')
                        if v59 is not None:
                            if not isinstance(v59, list): return False
                            for v60 in v59:
                                if v60 is None: return False
                                if v60 is not None:
                                    if type(v60) is not dict and not isinstance(v60, Mapping): return False
                                    v61 = v60.get('name')
                                    if v61 is not None and not isinstance(v61, str): return False
                                    v62 = v60.get('readOnly')
                                    if v62 is not None and not isinstance(v62, bool): return False
                        v63 = v53.get('securityContext')
                        if v63 is not None:
                            if type(v63) is not dict and not isinstance(v63, Mapping): return False
                            v64 = v63.get('privileged')
                            if v64 is not None and not isinstance(v64, bool): return False
                            v65 = v63.get('allowPrivilegeEscalation')
                            if v65 is not None and not isinstance(v65, bool): return False
                            v66 = v63.get('readOnlyRootFilesystem')
                            if v66 is not None and not isinstance(v66, bool): return False
                            v67 = v63.get('runAsUser')
                            if v67 is not None and (not isinstance(v67, int) or isinstance(v67, bool) or not -9223372036854775808 <= v67 <= 9223372036854775807): return False
                            v68 = v63.get('runAsGroup')
                            if v68 is not None and (not isinstance(v68, int) or isinstance(v68, bool) or not -9223372036854775808 <= v68 <= 9223372036854775807): return False
                            v69 = v63.get('runAsNonRoot')
                            if v69 is not None and not isinstance(v69, bool): return False
                            v70 = v63.get('procMount')
                            if v70 is not None and not isinstance(v70, str): return False
                            v71 = v63.get('capabilities')
                            if v71 is not None:
                                if type(v71) is not dict and not isinstance(v71, Mapping): return False
                                v72 = v71.get('add')
                                if v72 is not None:
                                    if not isinstance(v72, list): return False
                                    for v73 in v72:
                                        if v73 is not None and not isinstance(v73, str): return False
                                v74 = v71.get('drop')
                                if v74 is not None:
                                    if not isinstance(v74, list): return False
                                    for v75 in v74:
                                        if v75 is not None and not isinstance(v75, str): return False
                            v76 = v63.get('seLinuxOptions')
                            if v76 is not None:
                                if type(v76) is not dict and not isinstance(v76, Mapping): return False
                                v77 = v76.get('user')
                                if v77 is not None and not isinstance(v77, str): return False
                                v78 = v76.get('role')
                                if v78 is not None and not isinstance(v78, str): return False
                                v79 = v76.get('type')
                                if v79 is not None and not isinstance(v79, str): return False
                                v80 = v76.get('level')
                                if v80 is not None and not isinstance(v80, str): return False
                            v81 = v63.get('seccompProfile')
                            if v81 is not None:
                                if type(v81) is not dict and not isinstance(v81, Mapping): return False
                                v82 = v81.get('type')
                                if v82 is not None and not isinstance(v82, str): return False
                                v83 = v81.get('localhostProfile')
                                if v83 is not None and not isinstance(v83, str): return False
                            v84 = v63.get('appArmorProfile')
                            if v84 is not None:
                                if type(v84) is not dict and not isinstance(v84, Mapping): return False
                                v85 = v84.get('type')
                                if v85 is not None and not isinstance(v85, str): return False
                                v86 = v84.get('localhostProfile')
                                if v86 is not None and not isinstance(v86, str): return False
                            v87 = v63.get('windowsOptions')
                            if v87 is not None:
                                if type(v87) is not dict and not isinstance(v87, Mapping): return False
                                v88 = v87.get('hostProcess')
                                if v88 is not None and not isinstance(v88, bool): return False
                                v89 = v87.get('runAsUserName')
                                if v89 is not None and not isinstance(v89, str): return False
                        v90 = v53.get('livenessProbe')
                        if v90 is not None:
                            if type(v90) is not dict and not isinstance(v90, Mapping): return False
                            v91 = v90.get('httpGet')
                            if v91 is not None:
                                if type(v91) is not dict and not isinstance(v91, Mapping): return False
                                v92 = v91.get('host')
                                if v92 is not None and not isinstance(v92, str): return False
                            v93 = v90.get('tcpSocket')
                            if v93 is not None:
                                if type(v93) is not dict and not isinstance(v93, Mapping): return False
                                v94 = v93.get('host')
                                if v94 is not None and not isinstance(v94, str): return False
                        v95 = v53.get('readinessProbe')
                        if v95 is not None:
                            if type(v95) is not dict and not isinstance(v95, Mapping): return False
                            v96 = v95.get('httpGet')
                            if v96 is not None:
                                if type(v96) is not dict and not isinstance(v96, Mapping): return False
                                v97 = v96.get('host')
                                if v97 is not None and not isinstance(v97, str): return False
                            v98 = v95.get('tcpSocket')
                            if v98 is not None:
                                if type(v98) is not dict and not isinstance(v98, Mapping): return False
                                v99 = v98.get('host')
                                if v99 is not None and not isinstance(v99, str): return False
                        v100 = v53.get('startupProbe')
                        if v100 is not None:
                            if type(v100) is not dict and not isinstance(v100, Mapping): return False
                            v101 = v100.get('httpGet')
                            if v101 is not None:
                                if type(v101) is not dict and not isinstance(v101, Mapping): return False
                                v102 = v101.get('host')
                                if v102 is not None and not isinstance(v102, str): return False
                            v103 = v100.get('tcpSocket')
                            if v103 is not None:
                                if type(v103) is not dict and not isinstance(v103, Mapping): return False
                                v104 = v103.get('host')
                                if v104 is not None and not isinstance(v104, str): return False
                        v105 = v53.get('lifecycle')
                        if v105 is not None:
                            if type(v105) is not dict and not isinstance(v105, Mapping): return False
                            v106 = v105.get('postStart')
                            if v106 is not None:
                                if type(v106) is not dict and not isinstance(v106, Mapping): return False
                                v107 = v106.get('httpGet')
                                if v107 is not None:
                                    if type(v107) is not dict and not isinstance(v107, Mapping): return False
                                    v108 = v107.get('host')
                                    if v108 is not None and not isinstance(v108, str): return False
                                v109 = v106.get('tcpSocket')
                                if v109 is not None:
                                    if type(v109) is not dict and not isinstance(v109, Mapping): return False
                                    v110 = v109.get('host')
                                    if v110 is not None and not isinstance(v110, str): return False
                            v111 = v105.get('preStop')
                            if v111 is not None:
                                if type(v111) is not dict and not isinstance(v111, Mapping): return False
                                v112 = v111.get('httpGet')
                                if v112 is not None:
                                    if type(v112) is not dict and not isinstance(v112, Mapping): return False
                                    v113 = v112.get('host')
                                    if v113 is not None and not isinstance(v113, str): return False
                                v114 = v111.get('tcpSocket')
                                if v114 is not None:
                                    if type(v114) is not dict and not isinstance(v114, Mapping): return False
                                    v115 = v114.get('host')
                                    if v115 is not None and not isinstance(v115, str): return False
            v116 = v8.get('containers')
            if v116 is not None:
                if not isinstance(v116, list): return False
                for v117 in v116:
                    if v117 is None: return False
                    if v117 is not None:
                        if type(v117) is not dict and not isinstance(v117, Mapping): return False
                        v118 = v117.get('name')
                        if v118 is not None and not isinstance(v118, str): return False
                        v119 = v117.get('ports')
                        if v119 is not None:
                            if not isinstance(v119, list): return False
                            for v120 in v119:
                                if v120 is None: return False
                                if v120 is not None:
                                    if type(v120) is not dict and not isinstance(v120, Mapping): return False
                                    v121 = v120.get('containerPort')
                                    if v121 is not None and (not isinstance(v121, int) or isinstance(v121, bool) or not -2147483648 <= v121 <= 2147483647): return False
                                    v122 = v120.get('hostPort')
                                    if v122 is not None and (not isinstance(v122, int) or isinstance(v122, bool) or not -2147483648 <= v122 <= 2147483647): return False
                        v123 = v117.get('volumeMounts')
                        if v123 is not None:
                            if not isinstance(v123, list): return False
                            for v124 in v123:
                                if v124 is None: return False
                                if v124 is not None:
                                    if type(v124) is not dict and not isinstance(v124, Mapping): return False
                                    v125 = v124.get('name')
                                    if v125 is not None and not isinstance(v125, str): return False
                                    v126 = v124.get('readOnly')
                                    if v126 is not None and not isinstance(v126, bool): return False
                        v127 = v117.get('securityContext')
                        if v127 is not None:
                            if type(v127) is not dict and not isinstance(v127, Mapping): return False
                            v128 = v127.get('privileged')
                            if v128 is not None and not isinstance(v128, bool): return False
                            v129 = v127.get('allowPrivilegeEscalation')
                            if v129 is not None and not isinstance(v129, bool): return False
                            v130 = v127.get('readOnlyRootFilesystem')
                            if v130 is not None and not isinstance(v130, bool): return False
                            v131 = v127.get('runAsUser')
                            if v131 is not None and (not isinstance(v131, int) or isinstance(v131, bool) or not -9223372036854775808 <= v131 <= 9223372036854775807): return False
                            v132 = v127.get('runAsGroup')
                            if v132 is not None and (not isinstance(v132, int) or isinstance(v132, bool) or not -9223372036854775808 <= v132 <= 9223372036854775807): return False
                            v133 = v127.get('runAsNonRoot')
                            if v133 is not None and not isinstance(v133, bool): return False
                            v134 = v127.get('procMount')
                            if v134 is not None and not isinstance(v134, str): return False
                            v135 = v127.get('capabilities')
                            if v135 is not None:
                                if type(v135) is not dict and not isinstance(v135, Mapping): return False
                                v136 = v135.get('add')
                                if v136 is not None:
                                    if not isinstance(v136, list): return False
                                    for v137 in v136:
                                        if v137 is not None and not isinstance(v137, str): return False
                                v138 = v135.get('drop')
                                if v138 is not None:
                                    if not isinstance(v138, list): return False
                                    for v139 in v138:
                                        if v139 is not None and not isinstance(v139, str): return False
                            v140 = v127.get('seLinuxOptions')
                            if v140 is not None:
                                if type(v140) is not dict and not isinstance(v140, Mapping): return False
                                v141 = v140.get('user')
                                if v141 is not None and not isinstance(v141, str): return False
                                v142 = v140.get('role')
                                if v142 is not None and not isinstance(v142, str): return False
                                v143 = v140.get('type')
                                if v143 is not None and not isinstance(v143, str): return False
                                v144 = v140.get('level')
                                if v144 is not None and not isinstance(v144, str): return False
                            v145 = v127.get('seccompProfile')
                            if v145 is not None:
                                if type(v145) is not dict and not isinstance(v145, Mapping): return False
                                v146 = v145.get('type')
                                if v146 is not None and not isinstance(v146, str): return False
                                v147 = v145.get('localhostProfile')
                                if v147 is not None and not isinstance(v147, str): return False
                            v148 = v127.get('appArmorProfile')
                            if v148 is not None:
                                if type(v148) is not dict and not isinstance(v148, Mapping): return False
                                v149 = v148.get('type')
                                if v149 is not None and not isinstance(v149, str): return False
                                v150 = v148.get('localhostProfile')
                                if v150 is not None and not isinstance(v150, str): return False
                            v151 = v127.get('windowsOptions')
                            if v151 is not None:
                                if type(v151) is not dict and not isinstance(v151, Mapping): return False
                                v152 = v151.get('hostProcess')
                                if v152 is not None and not isinstance(v152, bool): return False
                                v153 = v151.get('runAsUserName')
                                if v153 is not None and not isinstance(v153, str): return False
                        v154 = v117.get('livenessProbe')
                        if v154 is not None:
                            if type(v154) is not dict and not isinstance(v154, Mapping): return False
                            v155 = v154.get('httpGet')
                            if v155 is not None:
                                if type(v155) is not dict and not isinstance(v155, Mapping): return False
                                v156 = v155.get('host')
                                if v156 is not None and not isinstance(v156, str): return False
                            v157 = v154.get('tcpSocket')
                            if v157 is not None:
                                if type(v157) is not dict and not isinstance(v157, Mapping): return False
                                v158 = v157.get('host')
                                if v158 is not None and not isinstance(v158, str): return False
                        v159 = v117.get('readinessProbe')
                        if v159 is not None:
                            if type(v159) is not dict and not isinstance(v159, Mapping): return False
                            v160 = v159.get('httpGet')
                            if v160 is not None:
                                if type(v160) is not dict and not isinstance(v160, Mapping): return False
                                v161 = v160.get('host')
                                if v161 is not None and not isinstance(v161, str): return False
                            v162 = v159.get('tcpSocket')
                            if v162 is not None:
                                if type(v162) is not dict and not isinstance(v162, Mapping): return False
                                v163 = v162.get('host')
                                if v163 is not None and not isinstance(v163, str): return False
                        v164 = v117.get('startupProbe')
                        if v164 is not None:
                            if type(v164) is not dict and not isinstance(v164, Mapping): return False
                            v165 = v164.get('httpGet')
                            if v165 is not None:
                                if type(v165) is not dict and not isinstance(v165, Mapping): return False
                                v166 = v165.get('host')
                                if v166 is not None and not isinstance(v166, str): return False
                            v167 = v164.get('tcpSocket')
                            if v167 is not None:
                                if type(v167) is not dict and not isinstance(v167, Mapping): return False
                                v168 = v167.get('host')
                                if v168 is not None and not isinstance(v168, str): return False
                        v169 = v117.get('lifecycle')
                        if v169 is not None:
                            if type(v169) is not dict and not isinstance(v169, Mapping): return False
                            v170 = v169.get('postStart')
                            if v170 is not None:
                                if type(v170) is not dict and not isinstance(v170, Mapping): return False
                                v171 = v170.get('httpGet')
                                if v171 is not None:
                                    if type(v171) is not dict and not isinstance(v171, Mapping): return False
                                    v172 = v171.get('host')
                                    if v172 is not None and not isinstance(v172, str): return False
                                v173 = v170.get('tcpSocket')
                                if v173 is not None:
                                    if type(v173) is not dict and not isinstance(v173, Mapping): return False
                                    v174 = v173.get('host')
                                    if v174 is not None and not isinstance(v174, str): return False
                            v175 = v169.get('preStop')
                            if v175 is not None:
                                if type(v175) is not dict and not isinstance(v175, Mapping): return False
                                v176 = v175.get('httpGet')
                                if v176 is not None:
                                    if type(v176) is not dict and not isinstance(v176, Mapping): return False
                                    v177 = v176.get('host')
                                    if v177 is not None and not isinstance(v177, str): return False
                                v178 = v175.get('tcpSocket')
                                if v178 is not None:
                                    if type(v178) is not dict and not isinstance(v178, Mapping): return False
                                    v179 = v178.get('host')
                                    if v179 is not None and not isinstance(v179, str): return False
            v180 = v8.get('ephemeralContainers')
            if v180 is not None:
                if not isinstance(v180, list): return False
                for v181 in v180:
                    if v181 is None: return False
                    if v181 is not None:
                        if type(v181) is not dict and not isinstance(v181, Mapping): return False
                        v182 = v181.get('name')
                        if v182 is not None and not isinstance(v182, str): return False
                        v183 = v181.get('ports')
                        if v183 is not None:
                            if not isinstance(v183, list): return False
                            for v184 in v183:
                                if v184 is None: return False
                                if v184 is not None:
                                    if type(v184) is not dict and not isinstance(v184, Mapping): return False
                                    v185 = v184.get('containerPort')
                                    if v185 is not None and (not isinstance(v185, int) or isinstance(v185, bool) or not -2147483648 <= v185 <= 2147483647): return False
                                    v186 = v184.get('hostPort')
                                    if v186 is not None and (not isinstance(v186, int) or isinstance(v186, bool) or not -2147483648 <= v186 <= 2147483647): return False
                        v187 = v181.get('volumeMounts')
                        if v187 is not None:
                            if not isinstance(v187, list): return False
                            for v188 in v187:
                                if v188 is None: return False
                                if v188 is not None:
                                    if type(v188) is not dict and not isinstance(v188, Mapping): return False
                                    v189 = v188.get('name')
                                    if v189 is not None and not isinstance(v189, str): return False
                                    v190 = v188.get('readOnly')
                                    if v190 is not None and not isinstance(v190, bool): return False
                        v191 = v181.get('securityContext')
                        if v191 is not None:
                            if type(v191) is not dict and not isinstance(v191, Mapping): return False
                            v192 = v191.get('privileged')
                            if v192 is not None and not isinstance(v192, bool): return False
                            v193 = v191.get('allowPrivilegeEscalation')
                            if v193 is not None and not isinstance(v193, bool): return False
                            v194 = v191.get('readOnlyRootFilesystem')
                            if v194 is not None and not isinstance(v194, bool): return False
                            v195 = v191.get('runAsUser')
                            if v195 is not None and (not isinstance(v195, int) or isinstance(v195, bool) or not -9223372036854775808 <= v195 <= 9223372036854775807): return False
                            v196 = v191.get('runAsGroup')
                            if v196 is not None and (not isinstance(v196, int) or isinstance(v196, bool) or not -9223372036854775808 <= v196 <= 9223372036854775807): return False
                            v197 = v191.get('runAsNonRoot')
                            if v197 is not None and not isinstance(v197, bool): return False
                            v198 = v191.get('procMount')
                            if v198 is not None and not isinstance(v198, str): return False
                            v199 = v191.get('capabilities')
                            if v199 is not None:
                                if type(v199) is not dict and not isinstance(v199, Mapping): return False
                                v200 = v199.get('add')
                                if v200 is not None:
                                    if not isinstance(v200, list): return False
                                    for v201 in v200:
                                        if v201 is not None and not isinstance(v201, str): return False
                                v202 = v199.get('drop')
                                if v202 is not None:
                                    if not isinstance(v202, list): return False
                                    for v203 in v202:
                                        if v203 is not None and not isinstance(v203, str): return False
                            v204 = v191.get('seLinuxOptions')
                            if v204 is not None:
                                if type(v204) is not dict and not isinstance(v204, Mapping): return False
                                v205 = v204.get('user')
                                if v205 is not None and not isinstance(v205, str): return False
                                v206 = v204.get('role')
                                if v206 is not None and not isinstance(v206, str): return False
                                v207 = v204.get('type')
                                if v207 is not None and not isinstance(v207, str): return False
                                v208 = v204.get('level')
                                if v208 is not None and not isinstance(v208, str): return False
                            v209 = v191.get('seccompProfile')
                            if v209 is not None:
                                if type(v209) is not dict and not isinstance(v209, Mapping): return False
                                v210 = v209.get('type')
                                if v210 is not None and not isinstance(v210, str): return False
                                v211 = v209.get('localhostProfile')
                                if v211 is not None and not isinstance(v211, str): return False
                            v212 = v191.get('appArmorProfile')
                            if v212 is not None:
                                if type(v212) is not dict and not isinstance(v212, Mapping): return False
                                v213 = v212.get('type')
                                if v213 is not None and not isinstance(v213, str): return False
                                v214 = v212.get('localhostProfile')
                                if v214 is not None and not isinstance(v214, str): return False
                            v215 = v191.get('windowsOptions')
                            if v215 is not None:
                                if type(v215) is not dict and not isinstance(v215, Mapping): return False
                                v216 = v215.get('hostProcess')
                                if v216 is not None and not isinstance(v216, bool): return False
                                v217 = v215.get('runAsUserName')
                                if v217 is not None and not isinstance(v217, str): return False
                        v218 = v181.get('livenessProbe')
                        if v218 is not None:
                            if type(v218) is not dict and not isinstance(v218, Mapping): return False
                            v219 = v218.get('httpGet')
                            if v219 is not None:
                                if type(v219) is not dict and not isinstance(v219, Mapping): return False
                                v220 = v219.get('host')
                                if v220 is not None and not isinstance(v220, str): return False
                            v221 = v218.get('tcpSocket')
                            if v221 is not None:
                                if type(v221) is not dict and not isinstance(v221, Mapping): return False
                                v222 = v221.get('host')
                                if v222 is not None and not isinstance(v222, str): return False
                        v223 = v181.get('readinessProbe')
                        if v223 is not None:
                            if type(v223) is not dict and not isinstance(v223, Mapping): return False
                            v224 = v223.get('httpGet')
                            if v224 is not None:
                                if type(v224) is not dict and not isinstance(v224, Mapping): return False
                                v225 = v224.get('host')
                                if v225 is not None and not isinstance(v225, str): return False
                            v226 = v223.get('tcpSocket')
                            if v226 is not None:
                                if type(v226) is not dict and not isinstance(v226, Mapping): return False
                                v227 = v226.get('host')
                                if v227 is not None and not isinstance(v227, str): return False
                        v228 = v181.get('startupProbe')
                        if v228 is not None:
                            if type(v228) is not dict and not isinstance(v228, Mapping): return False
                            v229 = v228.get('httpGet')
                            if v229 is not None:
                                if type(v229) is not dict and not isinstance(v229, Mapping): return False
                                v230 = v229.get('host')
                                if v230 is not None and not isinstance(v230, str): return False
                            v231 = v228.get('tcpSocket')
                            if v231 is not None:
                                if type(v231) is not dict and not isinstance(v231, Mapping): return False
                                v232 = v231.get('host')
                                if v232 is not None and not isinstance(v232, str): return False
                        v233 = v181.get('lifecycle')
                        if v233 is not None:
                            if type(v233) is not dict and not isinstance(v233, Mapping): return False
                            v234 = v233.get('postStart')
                            if v234 is not None:
                                if type(v234) is not dict and not isinstance(v234, Mapping): return False
                                v235 = v234.get('httpGet')
                                if v235 is not None:
                                    if type(v235) is not dict and not isinstance(v235, Mapping): return False
                                    v236 = v235.get('host')
                                    if v236 is not None and not isinstance(v236, str): return False
                                v237 = v234.get('tcpSocket')
                                if v237 is not None:
                                    if type(v237) is not dict and not isinstance(v237, Mapping): return False
                                    v238 = v237.get('host')
                                    if v238 is not None and not isinstance(v238, str): return False
                            v239 = v233.get('preStop')
                            if v239 is not None:
                                if type(v239) is not dict and not isinstance(v239, Mapping): return False
                                v240 = v239.get('httpGet')
                                if v240 is not None:
                                    if type(v240) is not dict and not isinstance(v240, Mapping): return False
                                    v241 = v240.get('host')
                                    if v241 is not None and not isinstance(v241, str): return False
                                v242 = v239.get('tcpSocket')
                                if v242 is not None:
                                    if type(v242) is not dict and not isinstance(v242, Mapping): return False
                                    v243 = v242.get('host')
                                    if v243 is not None and not isinstance(v243, str): return False
    return True


def fits_manifest(v0: Any) -> bool:
    if v0 is not None:
        if type(v0) is not dict and not isinstance(v0, Mapping): return False
        v1 = v0.get('metadata')
        if v1 is not None:
            if type(v1) is not dict and not isinstance(v1, Mapping): return False
            v2 = v1.get('name')
            if v2 is not None and not isinstance(v2, str): return False
            v3 = v1.get('namespace')
            if v3 is not None and not isinstance(v3, str): return False
            v4 = v1.get('annotations')
            if v4 is not None:
                if type(v4) is not dict and not isinstance(v4, Mapping): return False
                for v5 in v4.values():
                    if v5 is not None and not isinstance(v5, str): return False
            v6 = v1.get('labels')
            if v6 is not None:
                if type(v6) is not dict and not isinstance(v6, Mapping): return False
                for v7 in v6.values():
                    if v7 is not None and not isinstance(v7, str): return False
        v8 = v0.get('spec')
        if v8 is not None:
            if type(v8) is not dict and not isinstance(v8, Mapping): return False
            v9 = v8.get('hostNetwork')
            if v9 is not None and not isinstance(v9, bool): return False
            v10 = v8.get('hostPID')
            if v10 is not None and not isinstance(v10, bool): return False
            v11 = v8.get('hostIPC')
            if v11 is not None and not isinstance(v11, bool): return False
            v12 = v8.get('hostUsers')
            if v12 is not None and not isinstance(v12, bool): return False
            v13 = v8.get('serviceAccountName')
            if v13 is not None and not isinstance(v13, str): return False
            v14 = v8.get('runtimeClassName')
            if v14 is not None and not isinstance(v14, str): return False
            v15 = v8.get('os')
            if v15 is not None:
                if type(v15) is not dict and not isinstance(v15, Mapping): return False
                v16 = v15.get('name')
                if v16 is not None and not isinstance(v16, str): return False
            v17 = v8.get('securityContext')
            if v17 is not None:
                if type(v17) is not dict and not isinstance(v17, Mapping): return False
                v18 = v17.get('runAsUser')
                if v18 is not None and (not isinstance(v18, int) or isinstance(v18, bool) or not 0 <= v18 <= 2147483647): return False
                v19 = v17.get('runAsGroup')
                if v19 is not None and (not isinstance(v19, int) or isinstance(v19, bool) or not 0 <= v19 <= 2147483647): return False
                v20 = v17.get('runAsNonRoot')
                if v20 is not None and not isinstance(v20, bool): return False
                v21 = v17.get('fsGroup')
                if v21 is not None and (not isinstance(v21, int) or isinstance(v21, bool) or not 0 <= v21 <= 2147483647): return False
                v22 = v17.get('supplementalGroups')
                if v22 is not None:
                    if not isinstance(v22, list): return False
                    for v23 in v22:
                        if v23 is not None and (not isinstance(v23, int) or isinstance(v23, bool) or not 0 <= v23 <= 2147483647): return False
                v24 = v17.get('seLinuxOptions')
                if v24 is not None:
                    if type(v24) is not dict and not isinstance(v24, Mapping): return False
                    v25 = v24.get('user')
                    if v25 is not None and not isinstance(v25, str): return False
                    v26 = v24.get('role')
                    if v26 is not None and not isinstance(v26, str): return False
                    v27 = v24.get('type')
                    if v27 is not None and not isinstance(v27, str): return False
                    v28 = v24.get('level')
                    if v28 is not None and not isinstance(v28, str): return False
                v29 = v17.get('sysctls')
                if v29 is not None:
                    if not isinstance(v29, list): return False
                    for v30 in v29:
                        if v30 is None: return False
                        if v30 is not None:
                            if type(v30) is not dict and not isinstance(v30, Mapping): return False
                            v31 = v30.get('name')
                            if v31 is not None and not isinstance(v31, str): return False
                            v32 = v30.get('value')
                            if v32 is not None and not isinstance(v32, str): return False
                v33 = v17.get('seccompProfile')
                if v33 is not None:
                    if type(v33) is not dict and not isinstance(v33, Mapping): return False
                    v34 = v33.get('type')
                    if v34 is not None and not isinstance(v34, str): return False
                    v35 = v33.get('localhostProfile')
                    if v35 is not None and not isinstance(v35, str): return False
                v36 = v17.get('appArmorProfile')
                if v36 is not None:
                    if type(v36) is not dict and not isinstance(v36, Mapping): return False
                    v37 = v36.get('type')
                    if v37 is not None and not isinstance(v37, str): return False
                    v38 = v36.get('localhostProfile')
                    if v38 is not None and not isinstance(v38, str): return False
                v39 = v17.get('windowsOptions')
                if v39 is not None:
                    if type(v39) is not dict and not isinstance(v39, Mapping): return False
                    v40 = v39.get('hostProcess')
                    if v40 is not None and not isinstance(v40, bool): return False
                    v41 = v39.get('runAsUserName')
                    if v41 is not None and not isinstance(v41, str): return False
            v42 = v8.get('volumes')
            if v42 is not None:
                if not isinstance(v42, list): return False
                for v43 in v42:
                    if v43 is None: return False
                    if v43 is not None:
                        if type(v43) is not dict and not isinstance(v43, Mapping): return False
                        v44 = v43.get('name')
                        if v44 is not None and not isinstance(v44, str): return False
                        v45 = v43.get('hostPath')
                        if v45 is not None:
                            if type(v45) is not dict and not isinstance(v45, Mapping): return False
                            v46 = v45.get('path')
                            if v46 is not None and not isinstance(v46, str): return False
                            v47 = v45.get('type')
                            if v47 is not None and not isinstance(v47, str): return False
                        v48 = v43.get('flexVolume')
                        if v48 is not None:
                            if type(v48) is not dict and not isinstance(v48, Mapping): return False
                            v49 = v48.get('driver')
                            if v49 is not None and not isinstance(v49, str): return False
                        v50 = v43.get('csi')
                        if v50 is not None:
                            if type(v50) is not dict and not isinstance(v50, Mapping): return False
                            v51 = v50.get('driver')
                            if v51 is not None and not isinstance(v51, str): return False
            v52 = v8.get('initContainers')
            if v52 is not None:
                if not isinstance(v52, list): return False
                for v53 in v52:
                    if v53 is None: return False
                    if v53 is not None:
                        if type(v53) is not dict and not isinstance(v53, Mapping): return False
                        v54 = v53.get('name')
                        if v54 is not None and not isinstance(v54, str): return False
                        v55 = v53.get('ports')
                        if v55 is not None:
                            if not isinstance(v55, list): return False
                            for v56 in v55:
                                if v56 is None: return False
                                if v56 is not None:
                                    if type(v56) is not dict and not isinstance(v56, Mapping): return False
                                    v57 = v56.get('containerPort')
                                    if v57 is not None and (not isinstance(v57, int) or isinstance(v57, bool) or not -2147483648 <= v57 <= 2147483647): return False
                                    v58 = v56.get('hostPort')
                                    if v58 is not None and (not isinstance(v58, int) or isinstance(v58, bool) or not -2147483648 <= v58 <= 2147483647): return False
                        v59 = v53.get('volumeMounts')
                        if v59 is not None:
                            if not isinstance(v59, list): return False
                            for v60 in v59:
                                if v60 is None: return False
                                if v60 is not None:
                                    if type(v60) is not dict and not isinstance(v60, Mapping): return False
                                    v61 = v60.get('name')
                                    if v61 is not None and not isinstance(v61, str): return False
                                    v62 = v60.get('readOnly')
                                    if v62 is not None and not isinstance(v62, bool): return False
                        v63 = v53.get('securityContext')
                        if v63 is not None:
                            if type(v63) is not dict and not isinstance(v63, Mapping): return False
                            v64 = v63.get('privileged')
                            if v64 is not None and not isinstance(v64, bool): return False
                            v65 = v63.get('allowPrivilegeEscalation')
                            if v65 is not None and not isinstance(v65, bool): return False
                            v66 = v63.get('readOnlyRootFilesystem')
                            if v66 is not None and not isinstance(v66, bool): return False
                            v67 = v63.get('runAsUser')
                            if v67 is not None and (not isinstance(v67, int) or isinstance(v67, bool) or not 0 <= v67 <= 2147483647): return False
                            v68 = v63.get('runAsGroup')
                            if v68 is not None and (not isinstance(v68, int) or isinstance(v68, bool) or not 0 <= v68 <= 2147483647): return False
                            v69 = v63.get('runAsNonRoot')
                            if v69 is not None and not isinstance(v69, bool): return False
                            v70 = v63.get('procMount')
                            if v70 is not None and not isinstance(v70, str): return False
                            v71 = v63.get('capabilities')
                            if v71 is not None:
                                if type(v71) is not dict and not isinstance(v71, Mapping): return False
                                v72 = v71.get('add')
                                if v72 is not None:
                                    if not isinstance(v72, list): return False
                                    for v73 in v72:
                                        if v73 is not None and not isinstance(v73, str): return False
                                v74 = v71.get('drop')
                                if v74 is not None:
                                    if not isinstance(v74, list): return False
                                    for v75 in v74:
                                        if v75 is not None and not isinstance(v75, str): return False
                            v76 = v63.get('seLinuxOptions')
                            if v76 is not None:
                                if type(v76) is not dict and not isinstance(v76, Mapping): return False
                                v77 = v76.get('user')
                                if v77 is not None and not isinstance(v77, str): return False
                                v78 = v76.get('role')
                                if v78 is not None and not isinstance(v78, str): return False
                                v79 = v76.get('type')
                                if v79 is not None and not isinstance(v79, str): return False
                                v80 = v76.get('level')
                                if v80 is not None and not isinstance(v80, str): return False
                            v81 = v63.get('seccompProfile')
                            if v81 is not None:
                                if type(v81) is not dict and not isinstance(v81, Mapping): return False
                                v82 = v81.get('type')
                                if v82 is not None and not isinstance(v82, str): return False
                                v83 = v81.get('localhostProfile')
                                if v83 is not None and not isinstance(v83, str): return False
                            v84 = v63.get('appArmorProfile')
                            if v84 is not None:
                                if type(v84) is not dict and not isinstance(v84, Mapping): return False
                                v85 = v84.get('type')
                                if v85 is not None and not isinstance(v85, str): return False
                                v86 = v84.get('localhostProfile')
                                if v86 is not None and not isinstance(v86, str): return False
                            v87 = v63.get('windowsOptions')
                            if v87 is not None:
                                if type(v87) is not dict and not isinstance(v87, Mapping): return False
                                v88 = v87.get('hostProcess')
                                if v88 is not None and not isinstance(v88, bool): return False
                                v89 = v87.get('runAsUserName')
                                if v89 is not None and not isinstance(v89, str): return False
                        v90 = v53.get('livenessProbe')
                        if v90 is not None:
                            if type(v90) is not dict and not isinstance(v90, Mapping): return False
                            v91 = v90.get('httpGet')
                            if v91 is not None:
                                if type(v91) is not dict and not isinstance(v91, Mapping): return False
                                v92 = v91.get('host')
                                if v92 is not None and not isinstance(v92, str): return False
                            v93 = v90.get('tcpSocket')
                            if v93 is not None:
                                if type(v93) is not dict and not isinstance(v93, Mapping): return False
                                v94 = v93.get('host')
                                if v94 is not None and not isinstance(v94, str): return False
                        v95 = v53.get('readinessProbe')
                        if v95 is not None:
                            if type(v95) is not dict and not isinstance(v95, Mapping): return False
                            v96 = v95.get('httpGet')
                            if v96 is not None:
                                if type(v96) is not dict and not isinstance(v96, Mapping): return False
                                v97 = v96.get('host')
                                if v97 is not None and not isinstance(v97, str): return False
                            v98 = v95.get('tcpSocket')
                            if v98 is not None:
                                if type(v98) is not dict and not isinstance(v98, Mapping): return False
                                v99 = v98.get('host')
                                if v99 is not None and not isinstance(v99, str): return False
                        v100 = v53.get('startupProbe')
                        if v100 is not None:
                            if type(v100) is not dict and not isinstance(v100, Mapping): return False
                            v101 = v100.get('httpGet')
                            if v101 is not None:
                                if type(v101) is not dict and not isinstance(v101, Mapping): return False
                                v102 = v101.get('host')
                                if v102 is not None and not isinstance(v102, str): return False
                            v103 = v100.get('tcpSocket')
                            if v103 is not None:
                                if type(v103) is not dict and not isinstance(v103, Mapping): return False
                                v104 = v103.get('host')
                                if v104 is not None and not isinstance(v104, str): return False
                        v105 = v53.get('lifecycle')
                        if v105 is not None:
                            if type(v105) is not dict and not isinstance(v105, Mapping): return False
                            v106 = v105.get('postStart')
                            if v106 is not None:
                                if type(v106) is not dict and not isinstance(v106, Mapping): return False
                                v107 = v106.get('httpGet')
                                if v107 is not None:
                                    if type(v107) is not dict and not isinstance(v107, Mapping): return False
                                    v108 = v107.get('host')
                                    if v108 is not None and not isinstance(v108, str): return False
                                v109 = v106.get('tcpSocket')
                                if v109 is not None:
                                    if type(v109) is not dict and not isinstance(v109, Mapping): return False
                                    v110 = v109.get('host')
                                    if v110 is not None and not isinstance(v110, str): return False
                            v111 = v105.get('preStop')
                            if v111 is not None:
                                if type(v111) is not dict and not isinstance(v111, Mapping): return False
                                v112 = v111.get('httpGet')
                                if v112 is not None:
                                    if type(v112) is not dict and not isinstance(v112, Mapping): return False
                                    v113 = v112.get('host')
                                    if v113 is not None and not isinstance(v113, str): return False
                                v114 = v111.get('tcpSocket')
                                if v114 is not None:
                                    if type(v114) is not dict and not isinstance(v114, Mapping): return False
                                    v115 = v114.get('host')
                                    if v115 is not None and not isinstance(v115, str): return False
            v116 = v8.get('containers')
            if v116 is not None:
                if not isinstance(v116, list): return False
                for v117 in v116:
                    if v117 is None: return False
                    if v117 is not None:
                        if type(v117) is not dict and not isinstance(v117, Mapping): return False
                        v118 = v117.get('name')
                        if v118 is not None and not isinstance(v118, str): return False
                        v119 = v117.get('ports')
                        if v119 is not None:
                            if not isinstance(v119, list): return False
                            for v120 in v119:
                                if v120 is None: return False
                                if v120 is not None:
                                    if type(v120) is not dict and not isinstance(v120, Mapping): return False
                                    v121 = v120.get('containerPort')
                                    if v121 is not None and (not isinstance(v121, int) or isinstance(v121, bool) or not -2147483648 <= v121 <= 2147483647): return False
                                    v122 = v120.get('hostPort')
                                    if v122 is not None and (not isinstance(v122, int) or isinstance(v122, bool) or not -2147483648 <= v122 <= 2147483647): return False
                        v123 = v117.get('volumeMounts')
                        if v123 is not None:
                            if not isinstance(v123, list): return False
                            for v124 in v123:
                                if v124 is None: return False
                                if v124 is not None:
                                    if type(v124) is not dict and not isinstance(v124, Mapping): return False
                                    v125 = v124.get('name')
                                    if v125 is not None and not isinstance(v125, str): return False
                                    v126 = v124.get('readOnly')
                                    if v126 is not None and not isinstance(v126, bool): return False
                        v127 = v117.get('securityContext')
                        if v127 is not None:
                            if type(v127) is not dict and not isinstance(v127, Mapping): return False
                            v128 = v127.get('privileged')
                            if v128 is not None and not isinstance(v128, bool): return False
                            v129 = v127.get('allowPrivilegeEscalation')
                            if v129 is not None and not isinstance(v129, bool): return False
                            v130 = v127.get('readOnlyRootFilesystem')
                            if v130 is not None and not isinstance(v130, bool): return False
                            v131 = v127.get('runAsUser')
                            if v131 is not None and (not isinstance(v131, int) or isinstance(v131, bool) or not 0 <= v131 <= 2147483647): return False
                            v132 = v127.get('runAsGroup')
                            if v132 is not None and (not isinstance(v132, int) or isinstance(v132, bool) or not 0 <= v132 <= 2147483647): return False
                            v133 = v127.get('runAsNonRoot')
                            if v133 is not None and not isinstance(v133, bool): return False
                            v134 = v127.get('procMount')
                            if v134 is not None and not isinstance(v134, str): return False
                            v135 = v127.get('capabilities')
                            if v135 is not None:
                                if type(v135) is not dict and not isinstance(v135, Mapping): return False
                                v136 = v135.get('add')
                                if v136 is not None:
                                    if not isinstance(v136, list): return False
                                    for v137 in v136:
                                        if v137 is not None and not isinstance(v137, str): return False
                                v138 = v135.get('drop')
                                if v138 is not None:
                                    if not isinstance(v138, list): return False
                                    for v139 in v138:
                                        if v139 is not None and not isinstance(v139, str): return False
                            v140 = v127.get('seLinuxOptions')
                            if v140 is not None:
                                if type(v140) is not dict and not isinstance(v140, Mapping): return False
                                v141 = v140.get('user')
                                if v141 is not None and not isinstance(v141, str): return False
                                v142 = v140.get('role')
                                if v142 is not None and not isinstance(v142, str): return False
                                v143 = v140.get('type')
                                if v143 is not None and not isinstance(v143, str): return False
                                v144 = v140.get('level')
                                if v144 is not None and not isinstance(v144, str): return False
                            v145 = v127.get('seccompProfile')
                            if v145 is not None:
                                if type(v145) is not dict and not isinstance(v145, Mapping): return False
                                v146 = v145.get('type')
                                if v146 is not None and not isinstance(v146, str): return False
                                v147 = v145.get('localhostProfile')
                                if v147 is not None and not isinstance(v147, str): return False
                            v148 = v127.get('appArmorProfile')
                            if v148 is not None:
                                if type(v148) is not dict and not isinstance(v148, Mapping): return False
                                v149 = v148.get('type')
                                if v149 is not None and not isinstance(v149, str): return False
                                v150 = v148.get('localhostProfile')
                                if v150 is not None and not isinstance(v150, str): return False
                            v151 = v127.get('windowsOptions')
                            if v151 is not None:
                                if type(v151) is not dict and not isinstance(v151, Mapping): return False
                                v152 = v151.get('hostProcess')
                                if v152 is not None and not isinstance(v152, bool): return False
                                v153 = v151.get('runAsUserName')
                                if v153 is not None and not isinstance(v153, str): return False
                        v154 = v117.get('livenessProbe')
                        if v154 is not None:
                            if type(v154) is not dict and not isinstance(v154, Mapping): return False
                            v155 = v154.get('httpGet')
                            if v155 is not None:
                                if type(v155) is not dict and not isinstance(v155, Mapping): return False
                                v156 = v155.get('host')
                                if v156 is not None and not isinstance(v156, str): return False
                            v157 = v154.get('tcpSocket')
                            if v157 is not None:
                                if type(v157) is not dict and not isinstance(v157, Mapping): return False
                                v158 = v157.get('host')
                                if v158 is not None and not isinstance(v158, str): return False
                        v159 = v117.get('readinessProbe')
                        if v159 is not None:
                            if type(v159) is not dict and not isinstance(v159, Mapping): return False
                            v160 = v159.get('httpGet')
                            if v160 is not None:
                                if type(v160) is not dict and not isinstance(v160, Mapping): return False
                                v161 = v160.get('host')
                                if v161 is not None and not isinstance(v161, str): return False
                            v162 = v159.get('tcpSocket')
                            if v162 is not None:
                                if type(v162) is not dict and not isinstance(v162, Mapping): return False
                                v163 = v162.get('host')
                                if v163 is not None and not isinstance(v163, str): return False
                        v164 = v117.get('startupProbe')
                        if v164 is not None:
                            if type(v164) is not dict and not isinstance(v164, Mapping): return False
                            v165 = v164.get('httpGet')
                            if v165 is not None:
                                if type(v165) is not dict and not isinstance(v165, Mapping): return False
                                v166 = v165.get('host')
                                if v166 is not None and not isinstance(v166, str): return False
                            v167 = v164.get('tcpSocket')
                            if v167 is not None:
                                if type(v167) is not dict and not isinstance(v167, Mapping): return False
                                v168 = v167.get('host')
                                if v168 is not None and not isinstance(v168, str): return False
                        v169 = v117.get('lifecycle')
                        if v169 is not None:
                            if type(v169) is not dict and not isinstance(v169, Mapping): return False
                            v170 = v169.get('postStart')
                            if v170 is not None:
                                if type(v170) is not dict and not isinstance(v170, Mapping): return False
                                v171 = v170.get('httpGet')
                                if v171 is not None:
                                    if type(v171) is not dict and not isinstance(v171, Mapping): return False
                                    v172 = v171.get('host')
                                    if v172 is not None and not isinstance(v172, str): return False
                                v173 = v170.get('tcpSocket')
                                if v173 is not None:
                                    if type(v173) is not dict and not isinstance(v173, Mapping): return False
                                    v174 = v173.get('host')
                                    if v174 is not None and not isinstance(v174, str): return False
                            v175 = v169.get('preStop')
                            if v175 is not None:
                                if type(v175) is not dict and not isinstance(v175, Mapping): return False
                                v176 = v175.get('httpGet')
                                if v176 is not None:
                                    if type(v176) is not dict and not isinstance(v176, Mapping): return False
                                    v177 = v176.get('host')
                                    if v177 is not None and not isinstance(v177, str): return False
                                v178 = v175.get('tcpSocket')
                                if v178 is not None:
                                    if type(v178) is not dict and not isinstance(v178, Mapping): return False
                                    v179 = v178.get('host')
                                    if v179 is not None and not isinstance(v179, str): return False
            v180 = v8.get('ephemeralContainers')
            if v180 is not None:
                if not isinstance(v180, list): return False
                for v181 in v180:
                    if v181 is None: return False
                    if v181 is not None:
                        if type(v181) is not dict and not isinstance(v181, Mapping): return False
                        v182 = v181.get('name')
                        if v182 is not None and not isinstance(v182, str): return False
                        v183 = v181.get('ports')
                        if v183 is not None:
                            if not isinstance(v183, list): return False
                            for v184 in v183:
                                if v184 is None: return False
                                if v184 is not None:
                                    if type(v184) is not dict and not isinstance(v184, Mapping): return False
                                    v185 = v184.get('containerPort')
                                    if v185 is not None and (not isinstance(v185, int) or isinstance(v185, bool) or not -2147483648 <= v185 <= 2147483647): return False
                                    v186 = v184.get('hostPort')
                                    if v186 is not None and (not isinstance(v186, int) or isinstance(v186, bool) or not -2147483648 <= v186 <= 2147483647): return False
                        v187 = v181.get('volumeMounts')
                        if v187 is not None:
                            if not isinstance(v187, list): return False
                            for v188 in v187:
                                if v188 is None: return False
                                if v188 is not None:
                                    if type(v188) is not dict and not isinstance(v188, Mapping): return False
                                    v189 = v188.get('name')
                                    if v189 is not None and not isinstance(v189, str): return False
                                    v190 = v188.get('readOnly')
                                    if v190 is not None and not isinstance(v190, bool): return False
                        v191 = v181.get('securityContext')
                        if v191 is not None:
                            if type(v191) is not dict and not isinstance(v191, Mapping): return False
                            v192 = v191.get('privileged')
                            if v192 is not None and not isinstance(v192, bool): return False
                            v193 = v191.get('allowPrivilegeEscalation')
                            if v193 is not None and not isinstance(v193, bool): return False
                            v194 = v191.get('readOnlyRootFilesystem')
                            if v194 is not None and not isinstance(v194, bool): return False
                            v195 = v191.get('runAsUser')
                            if v195 is not None and (not isinstance(v195, int) or isinstance(v195, bool) or not 0 <= v195 <= 2147483647): return False
                            v196 = v191.get('runAsGroup')
                            if v196 is not None and (not isinstance(v196, int) or isinstance(v196, bool) or not 0 <= v196 <= 2147483647): return False
                            v197 = v191.get('runAsNonRoot')
                            if v197 is not None and not isinstance(v197, bool): return False
                            v198 = v191.get('procMount')
                            if v198 is not None and not isinstance(v198, str): return False
                            v199 = v191.get('capabilities')
                            if v199 is not None:
                                if type(v199) is not dict and not isinstance(v199, Mapping): return False
                                v200 = v199.get('add')
                                if v200 is not None:
                                    if not isinstance(v200, list): return False
                                    for v201 in v200:
                                        if v201 is not None and not isinstance(v201, str): return False
                                v202 = v199.get('drop')
                                if v202 is not None:
                                    if not isinstance(v202, list): return False
                                    for v203 in v202:
                                        if v203 is not None and not isinstance(v203, str): return False
                            v204 = v191.get('seLinuxOptions')
                            if v204 is not None:
                                if type(v204) is not dict and not isinstance(v204, Mapping): return False
                                v205 = v204.get('user')
                                if v205 is not None and not isinstance(v205, str): return False
                                v206 = v204.get('role')
                                if v206 is not None and not isinstance(v206, str): return False
                                v207 = v204.get('type')
                                if v207 is not None and not isinstance(v207, str): return False
                                v208 = v204.get('level')
                                if v208 is not None and not isinstance(v208, str): return False
                            v209 = v191.get('seccompProfile')
                            if v209 is not None:
                                if type(v209) is not dict and not isinstance(v209, Mapping): return False
                                v210 = v209.get('type')
                                if v210 is not None and not isinstance(v210, str): return False
                                v211 = v209.get('localhostProfile')
                                if v211 is not None and not isinstance(v211, str): return False
                            v212 = v191.get('appArmorProfile')
                            if v212 is not None:
                                if type(v212) is not dict and not isinstance(v212, Mapping): return False
                                v213 = v212.get('type')
                                if v213 is not None and not isinstance(v213, str): return False
                                v214 = v212.get('localhostProfile')
                                if v214 is not None and not isinstance(v214, str): return False
                            v215 = v191.get('windowsOptions')
                            if v215 is not None:
                                if type(v215) is not dict and not isinstance(v215, Mapping): return False
                                v216 = v215.get('hostProcess')
                                if v216 is not None and not isinstance(v216, bool): return False
                                v217 = v215.get('runAsUserName')
                                if v217 is not None and not isinstance(v217, str): return False
                        v218 = v181.get('livenessProbe')
                        if v218 is not None:
                            if type(v218) is not dict and not isinstance(v218, Mapping): return False
                            v219 = v218.get('httpGet')
                            if v219 is not None:
                                if type(v219) is not dict and not isinstance(v219, Mapping): return False
                                v220 = v219.get('host')
                                if v220 is not None and not isinstance(v220, str): return False
                            v221 = v218.get('tcpSocket')
                            if v221 is not None:
                                if type(v221) is not dict and not isinstance(v221, Mapping): return False
                                v222 = v221.get('host')
                                if v222 is not None and not isinstance(v222, str): return False
                        v223 = v181.get('readinessProbe')
                        if v223 is not None:
                            if type(v223) is not dict and not isinstance(v223, Mapping): return False
                            v224 = v223.get('httpGet')
                            if v224 is not None:
                                if type(v224) is not dict and not isinstance(v224, Mapping): return False
                                v225 = v224.get('host')
                                if v225 is not None and not isinstance(v225, str): return False
                            v226 = v223.get('tcpSocket')
                            if v226 is not None:
                                if type(v226) is not dict and not isinstance(v226, Mapping): return False
                                v227 = v226.get('host')
                                if v227 is not None and not isinstance(v227, str): return False
                        v228 = v181.get('startupProbe')
                        if v228 is not None:
                            if type(v228) is not dict and not isinstance(v228, Mapping): return False
                            v229 = v228.get('httpGet')
                            if v229 is not None:
                                if type(v229) is not dict and not isinstance(v229, Mapping): return False
                                v230 = v229.get('host')
                                if v230 is not None and not isinstance(v230, str): return False
                            v231 = v228.get('tcpSocket')
                            if v231 is not None:
                                if type(v231) is not dict and not isinstance(v231, Mapping): return False
                                v232 = v231.get('host')
                                if v232 is not None and not isinstance(v232, str): return False
                        v233 = v181.get('lifecycle')
                        if v233 is not None:
                            if type(v233) is not dict and not isinstance(v233, Mapping): return False
                            v234 = v233.get('postStart')
                            if v234 is not None:
                                if type(v234) is not dict and not isinstance(v234, Mapping): return False
                                v235 = v234.get('httpGet')
                                if v235 is not None:
                                    if type(v235) is not dict and not isinstance(v235, Mapping): return False
                                    v236 = v235.get('host')
                                    if v236 is not None and not isinstance(v236, str): return False
                                v237 = v234.get('tcpSocket')
                                if v237 is not None:
                                    if type(v237) is not dict and not isinstance(v237, Mapping): return False
                                    v238 = v237.get('host')
                                    if v238 is not None and not isinstance(v238, str): return False
                            v239 = v233.get('preStop')
                            if v239 is not None:
                                if type(v239) is not dict and not isinstance(v239, Mapping): return False
                                v240 = v239.get('httpGet')
                                if v240 is not None:
                                    if type(v240) is not dict and not isinstance(v240, Mapping): return False
                                    v241 = v240.get('host')
                                    if v241 is not None and not isinstance(v241, str): return False
                                v242 = v239.get('tcpSocket')
                                if v242 is not None:
                                    if type(v242) is not dict and not isinstance(v242, Mapping): return False
                                    v243 = v242.get('host')
                                    if v243 is not None and not isinstance(v243, str): return False
    return True
