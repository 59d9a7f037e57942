// glibc's double-precision `log` as its x86-64 FMA build computes it, bit for bit, in JavaScript.

/*
 * numpy's legacy Gaussian calls the C library's `log`. Since glibc 2.28 that is ARM's
 * optimized-routines algorithm (glibc sysdeps/ieee754/dbl-64/e_log.c and e_log_data.c): a
 * 128-entry table of c ≈ z and log(c), then a degree-6 polynomial in r = z/c − 1, with a
 * separate degree-12 polynomial for x near 1. On x86-64 CPUs with FMA and AVX2, glibc's ifunc
 * picks `__log_fma`, built with -mfma -mavx2, and GCC contracts most a·b + c of the C source
 * into fused multiply-adds, so its rounding differs from a plain reading of the C. The steps
 * below follow the machine code of `__log_fma` in Debian 12's glibc 2.36 (objdump of
 * libm.so.6), one rounding per instruction. JavaScript has no fma. r = z·invc − 1 must be exact
 * and is emulated so (mulSubOne); the rest, the tail added last to hi, is first evaluated unfused,
 * with a bound on its distance from the fused value: when everything within the bound rounds to
 * the same result, that is glibc's. Otherwise (about 1 call in 300 for legacy_gauss inputs) each
 * fused step of the tail is emulated exactly, by the cheapest of fma, fmaSmallProduct and
 * fmaSplitFactor that is valid for its operands.
 */

/** 2^27 + 1: Veltkamp's splitting factor for binary64. */
const SPLIT = 134217729;
const TWO27 = 134217728;
const TWO52 = 4503599627370496;
const TWO_M53 = 1.1102230246251565e-16; // 2^-53
const TWO_M47 = 2 ** -47;
const TWO_M79 = 2 ** -79;
const TWO_M100 = 2 ** -100;

const LN2HI = 0.6931471805598903; // 0x1.62e42fefa3800p-1, 42 bits: k·LN2HI is exact for |k| < 2^11
const LN2LO = 5.497923018708371e-14; // 0x1.ef35793c76730p-45
// LN2LO in 42 high bits and 7 low bits, so that k·LN2LO_HI and k·LN2LO_LO are exact for |k| < 2^11.
const LN2LO_HI = 5.49792301870721e-14; // 0x1.ef35793c76000p-45
const LN2LO_LO = 1.1612032524853294e-26; // 0x1.ccp-87

// poly: log1p(r) − r for |r| < 0x1.fp-9 (LOG_POLY_ORDER 6).
const A0 = -0.5000000000000001; // -0x1.0000000000001p-1
const A1 = 0.33333333331825593; // 0x1.555555551305bp-2
const A2 = -0.2499999999622955; // -0x1.fffffffeb459p-3
const A3 = 0.20000304511814496; // 0x1.999b324f10111p-3
const A4 = -0.16667054827627667; // -0x1.55575e506c89fp-3

// poly1: log1p(r) for r in [-0x1p-4, 0x1.09p-4] (LOG_POLY1_ORDER 12); B0 = -0.5.
const B1 = 0.3333333333333352; // 0x1.5555555555577p-2
const B2 = -0.24999999999998432; // -0x1.ffffffffffdcbp-3
const B3 = 0.19999999999320328; // 0x1.999999995dd0cp-3
const B4 = -0.16666666669929706; // -0x1.55555556745a7p-3
const B5 = 0.14285715076560868; // 0x1.24924a344de3p-3
const B6 = -0.12499997863982555; // -0x1.fffffa4423d65p-4
const B7 = 0.11110712032936046; // 0x1.c7184282ad6cap-4
const B8 = -0.10000486757818193; // -0x1.999eb43b068ffp-4
const B9 = 0.09181994006195467; // 0x1.78182f7afd085p-4
const B10 = -0.08328363062289341; // -0x1.5521375d145cdp-4

/**
 * tab[i] = {invc, logc} interleaved, i = 0..127: c is near the centre of the ith subinterval of
 * [0x1.6p-1, 0x1.6p0), invc ≈ 1/c, and logc = log(c) rounded to 42 bits or so, so that
 * k·LN2HI + logc is exact. (glibc's tab2, used only without FMA, is not needed.)
 */
// biome-ignore format: one {invc, logc} pair per line, as in e_log_data.c
const TAB = new Float64Array([
  1.4504249240398293, -0.3718565645633589, // 0x1.734f0c3e0de9fp+0, -0x1.7cc7f79e69000p-2
  1.442253508327276, -0.36620682668944937, // 0x1.713786a2ce91fp+0, -0x1.76feec20d0000p-2
  1.4341736174350004, -0.3605888069791945, // 0x1.6f26008fab5a0p+0, -0x1.713e31351e000p-2
  1.426183816329995, -0.3550022171419869, // 0x1.6d1a61f138c7dp+0, -0x1.6b85b38287800p-2
  1.4182825527052965, -0.34944666968829097, // 0x1.6b1490bc5b4d1p+0, -0x1.65d5590807800p-2
  1.4104682921759335, -0.3439217713603284, // 0x1.69147332f0cbap+0, -0x1.602d076180000p-2
  1.4027396147468003, -0.3384271921261188, // 0x1.6719f18224223p+0, -0x1.5a8ca86909000p-2
  1.3950954438932313, -0.332962831494342, // 0x1.6524f99a51ed9p+0, -0x1.54f4356035000p-2
  1.3875338232485754, -0.32752794345742586, // 0x1.63356aa8f24c4p+0, -0x1.4f637c36b4000p-2
  1.3800539211058593, -0.32212257167088865, // 0x1.614b36b9ddc14p+0, -0x1.49da7fda85000p-2
  1.3726542695419708, -0.3167462884799761, // 0x1.5f66452c65c4cp+0, -0x1.445923989a800p-2
  1.3653332798446802, -0.3113985598928366, // 0x1.5d867b5912c4fp+0, -0x1.3edf439b0b800p-2
  1.358090204587874, -0.3060794515165526, // 0x1.5babccb5b90dep+0, -0x1.396ce448f7000p-2
  1.3509234892132138, -0.300788424667644, // 0x1.59d61f2d91a78p+0, -0x1.3401e17bda000p-2
  1.3438320840699889, -0.2955252968476998, // 0x1.5805612465687p+0, -0x1.2e9e2ef468000p-2
  1.3368146974742003, -0.29028969275850613, // 0x1.56397cee76bd3p+0, -0x1.2941b3830e000p-2
  1.329870114677736, -0.2850812793277555, // 0x1.54725e2a77f93p+0, -0x1.23ec58cda8800p-2
  1.322997339161106, -0.27989987391470095, // 0x1.52aff42064583p+0, -0x1.1e9e129279000p-2
  1.316195352741367, -0.27474526621870154, // 0x1.50f22dbb2bddfp+0, -0x1.1956d2b48f800p-2
  1.3094628125672239, -0.2696169863701243, // 0x1.4f38f4734ded7p+0, -0x1.141679ab9f800p-2
  1.3027990455471041, -0.26451506180308115, // 0x1.4d843cfde2840p+0, -0x1.0edd094ef9800p-2
  1.2962024229438942, -0.2594387762767383, // 0x1.4bd3ec078a3c8p+0, -0x1.09aa518db1000p-2
  1.2896726275815547, -0.2543884090981692, // 0x1.4a27fc3e0258ap+0, -0x1.047e65263b800p-2
  1.2832080305745537, -0.24936321635129843, // 0x1.4880524d48434p+0, -0x1.feb224586f000p-3
  1.276807885983376, -0.24436312405975968, // 0x1.46dce1b192d0bp+0, -0x1.f474a7517b000p-3
  1.2704714060687552, -0.23938801747897287, // 0x1.453d9d3391854p+0, -0x1.ea4443d103000p-3
  1.2641976054949482, -0.23443761696705678, // 0x1.43a2744b4845ap+0, -0x1.e020d44e9b000p-3
  1.257985357514882, -0.22951151871518505, // 0x1.420b54115f8fbp+0, -0x1.d60a22977f000p-3
  1.2518337750655457, -0.2246094963439873, // 0x1.40782da3ef4b1p+0, -0x1.cc00104959000p-3
  1.2457421919097305, -0.21973149037705753, // 0x1.3ee8f5d57fe8fp+0, -0x1.c202956891000p-3
  1.2397094966625508, -0.2148770752847895, // 0x1.3d5d9a00b4ce9p+0, -0x1.b81178d811000p-3
  1.2337348463589233, -0.210046029103637, // 0x1.3bd60c010c12bp+0, -0x1.ae2c9ccd3d000p-3
  1.2278176973028803, -0.20523836373934046, // 0x1.3a5242b75dab8p+0, -0x1.a45402e129000p-3
  1.2219570190618474, -0.20045368751368642, // 0x1.38d22cd9fd002p+0, -0x1.9a877681df000p-3
  1.2161519732977757, -0.1956917537758045, // 0x1.3755bc5847a1cp+0, -0x1.90c6d69483000p-3
  1.2104018095009725, -0.19095237845203883, // 0x1.35dce49ad36e2p+0, -0x1.87120a645c000p-3
  1.204705805718973, -0.18623539250290833, // 0x1.34679984dd440p+0, -0x1.7d68fb4143000p-3
  1.1990631185441964, -0.18154051731551135, // 0x1.32f5cceffcb24p+0, -0x1.73cb83c627000p-3
  1.1934733004462308, -0.1768677957431919, // 0x1.3187775a10d49p+0, -0x1.6a39a9b376000p-3
  1.1879350812847385, -0.17221657406412305, // 0x1.301c8373e3990p+0, -0x1.60b3154b7a000p-3
  1.1824481322833125, -0.16758697765942543, // 0x1.2eb4ebb95f841p+0, -0x1.5737d76243000p-3
  1.1770114976921955, -0.16297859687290384, // 0x1.2d50a0219a9d1p+0, -0x1.4dc7b8fc23000p-3
  1.1716248121809465, -0.15839151377804228, // 0x1.2bef9a8b7fd2ap+0, -0x1.4462c51d20000p-3
  1.1662869231674715, -0.15382513241456763, // 0x1.2a91c7a0c1babp+0, -0x1.3b08abc830000p-3
  1.1609977486762766, -0.14927976358922024, // 0x1.293726014b530p+0, -0x1.31b996b490000p-3
  1.1557563220795803, -0.14475495398119165, // 0x1.27dfa5757a1f5p+0, -0x1.2875490a44000p-3
  1.1505619105480347, -0.14025044090817573, // 0x1.268b39b1d3bbfp+0, -0x1.1f3b9f879a000p-3
  1.1454138888505974, -0.1357660466685502, // 0x1.2539d838ff5bdp+0, -0x1.160c8252ca000p-3
  1.140311877374656, -0.1313018016355727, // 0x1.23eb7aac9083bp+0, -0x1.0ce7f57f72000p-3
  1.1352550225747513, -0.12685731518763532, // 0x1.22a012ba940b6p+0, -0x1.03cdc49fea000p-3
  1.1302429094831266, -0.1224325737671279, // 0x1.2157996cc4132p+0, -0x1.f57bdbc4b8000p-4
  1.1252747693068048, -0.11802724521862729, // 0x1.201201dd2fc9bp+0, -0x1.e370896404000p-4
  1.1203501571039876, -0.11364127671663482, // 0x1.1ecf4494d480bp+0, -0x1.d17983ef94000p-4
  1.1154683327680124, -0.10927434611278386, // 0x1.1d8f5528f6569p+0, -0x1.bf9674ed8a000p-4
  1.1106291463292157, -0.10492665324943573, // 0x1.1c52311577e7cp+0, -0x1.adc79202f6000p-4
  1.1058315813301596, -0.10059761422644442, // 0x1.1b17c74cb26e9p+0, -0x1.9c0c3e7288000p-4
  1.1010752177696026, -0.09628717309055901, // 0x1.19e010c2c1ab6p+0, -0x1.8a646b372c000p-4
  1.0963597137952512, -0.09199534069557558, // 0x1.18ab07bb670bdp+0, -0x1.78d01b3ac0000p-4
  1.0916844827550398, -0.08772190036688698, // 0x1.1778a25efbcb6p+0, -0x1.674f145380000p-4
  1.0870487291277784, -0.08346643613867855, // 0x1.1648d354c31dap+0, -0x1.55e0e6d878000p-4
  1.082452357388312, -0.07922916827544668, // 0x1.151b990275fddp+0, -0x1.4485cdea1e000p-4
  1.0778948225025884, -0.0750099004750382, // 0x1.13f0ea432d24cp+0, -0x1.333d94d6aa000p-4
  1.0733751731601076, -0.07080805133352897, // 0x1.12c8b7210f9dap+0, -0x1.22079f8c56000p-4
  1.068893585073351, -0.06662408085151128, // 0x1.11a3028ecb531p+0, -0x1.10e4698622000p-4
  1.0644491706655506, -0.06245745471915143, // 0x1.107fbda8434afp+0, -0x1.ffa6c6ad20000p-5
  1.0600414846328305, -0.0583080438042316, // 0x1.0f5ee0f4e6bb3p+0, -0x1.dda8d4a774000p-5
  1.0556701316181605, -0.05417576112313327, // 0x1.0e4065d2a9fcep+0, -0x1.bbcece4850000p-5
  1.051334750556926, -0.050060547896805474, // 0x1.0d244632ca521p+0, -0x1.9a1894012c000p-5
  1.0470347288442157, -0.045962101199052086, // 0x1.0c0a77ce2981ap+0, -0x1.788583302c000p-5
  1.0427699229652954, -0.04188056008865715, // 0x1.0af2f83c636d1p+0, -0x1.5715e67d68000p-5
  1.0385395013738175, -0.03781540056183985, // 0x1.09ddb98a01339p+0, -0x1.35c8a49658000p-5
  1.034343418940345, -0.03376684757915882, // 0x1.08cabaf52e7dfp+0, -0x1.149e364154000p-5
  1.0301811073173315, -0.029734619131772888, // 0x1.07b9f2f4e28fbp+0, -0x1.e72c082eb8000p-6
  1.026052043621297, -0.025718470239212365, // 0x1.06ab58c358f19p+0, -0x1.a55f152528000p-6
  1.0219561082336197, -0.021718543925430822, // 0x1.059eea5ecf92cp+0, -0x1.63d62cf818000p-6
  1.0178926505784922, -0.01773446126981071, // 0x1.04949cdd12c90p+0, -0x1.228fb8caa0000p-6
  1.0138614436244586, -0.013766252464051831, // 0x1.038c6c6f0ada9p+0, -0x1.c317b20f90000p-7
  1.0098620186501341, -0.009813706322574944, // 0x1.02865137932a9p+0, -0x1.419355daa0000p-7
  1.0058938559734134, -0.005876555150052809, // 0x1.0182427ea7348p+0, -0x1.81203c2ec0000p-8
  1.00195696235014, -0.0019550499938532084, // 0x1.008040614b195p+0, -0x1.0040979240000p-9
  0.9961089923088509, 0.0038985973556009412, // 0x1.fe01ff726fa1ap-1, 0x1.feff384900000p-9
  0.9884170338185201, 0.011650571286395461, // 0x1.fa11cc261ea74p-1, 0x1.7dc41353d0000p-7
  0.9808429191005297, 0.019342955478919066, // 0x1.f6310b081992ep-1, 0x1.3cea3c4c28000p-6
  0.9733840169987446, 0.0269766014846482, // 0x1.f25f63ceeadcdp-1, 0x1.b9fc114890000p-6
  0.9660377568876556, 0.034552359728422744, // 0x1.ee9c8039113e7p-1, 0x1.1b0d8ce110000p-5
  0.9588014945307369, 0.04207121767183253, // 0x1.eae8078cbb1abp-1, 0x1.58a5bd001c000p-5
  0.9516728569073111, 0.049533940950141186, // 0x1.e741aa29d0c9bp-1, 0x1.95c8340d88000p-5
  0.9446494635965822, 0.056941358295944156, // 0x1.e3a91830a99b5p-1, 0x1.d276aef578000p-5
  0.9377288993026223, 0.06429439168346107, // 0x1.e01e009609a56p-1, 0x1.07598e598c000p-4
  0.9309091073790681, 0.0715936354946507, // 0x1.dca01e577bb98p-1, 0x1.253f5e30d2000p-4
  0.924187681612722, 0.07884010933776153, // 0x1.d92f20b7c9103p-1, 0x1.42edd8b380000p-4
  0.9175626765599192, 0.08603438905970506, // 0x1.d5cac66fb5ccep-1, 0x1.606598757c000p-4
  0.9110320403624034, 0.09317721180013905, // 0x1.d272caa5ede9dp-1, 0x1.7da76356a0000p-4
  0.9045935839762024, 0.10026951462748457, // 0x1.cf26e3e6b2ccdp-1, 0x1.9ab434e1c6000p-4
  0.8982456375922825, 0.10731170956330516, // 0x1.cbe6da2a77902p-1, 0x1.b78c7bb0d6000p-4
  0.8919860966782501, 0.11430473320717738, // 0x1.c8b266d37086dp-1, 0x1.d431332e72000p-4
  0.8858131121185129, 0.12124928503033061, // 0x1.c5894bd5d5804p-1, 0x1.f0a3171de6000p-4
  0.879725075760676, 0.12814583422959913, // 0x1.c26b533bb9f8cp-1, 0x1.067152b914000p-3
  0.8737201372634685, 0.1349951636851756, // 0x1.bf583eeece73fp-1, 0x1.147858292b000p-3
  0.8677966405782273, 0.1417978768189414, // 0x1.bc4fd75db96c1p-1, 0x1.2266ecdca3000p-3
  0.8619528050060739, 0.14855476039031146, // 0x1.b951e0c864a28p-1, 0x1.303d7a6c55000p-3
  0.8561872354420692, 0.1552661937658968, // 0x1.b65e2c5ef3e2cp-1, 0x1.3dfc33c331000p-3
  0.8504983927816893, 0.16193275688146969, // 0x1.b374867c9888bp-1, 0x1.4ba366b7a8000p-3
  0.8448844572790304, 0.16855539792220497, // 0x1.b094b211d304ap-1, 0x1.5933928d1f000p-3
  0.8393442741575965, 0.1751343179947753, // 0x1.adbe885f2ef7ep-1, 0x1.66acd2418f000p-3
  0.8338762249349438, 0.1816702989864325, // 0x1.aaf1d31603da2p-1, 0x1.740f8ec669000p-3
  0.8284789320557778, 0.18816387146023317, // 0x1.a82e63fd358a7p-1, 0x1.815c0f51af000p-3
  0.8231510800065832, 0.1946155228479256, // 0x1.a5740ef09738bp-1, 0x1.8e92954f68000p-3
  0.8178913903778707, 0.20102572579389744, // 0x1.a2c2a90ab4b27p-1, 0x1.9bb3602f84000p-3
  0.8126984007245374, 0.2073952090795501, // 0x1.a01a01393f2d1p-1, 0x1.a8bed1c2c0000p-3
  0.8075710029460227, 0.21372429840596396, // 0x1.9d79f24db3c1bp-1, 0x1.b5b515c01d000p-3
  0.8025078881160415, 0.2200135945981856, // 0x1.9ae2505c7b190p-1, 0x1.c2967ccbcc000p-3
  0.7975077379364331, 0.22626374162859975, // 0x1.9852ef297ce2fp-1, 0x1.cf635d5486000p-3
  0.792569604966373, 0.23247494747693054, // 0x1.95cbaeea44b75p-1, 0x1.dc1bd3446c000p-3
  0.7876923641254114, 0.23864766620658884, // 0x1.934c69de74838p-1, 0x1.e8c01b8cfe000p-3
  0.7828746724940998, 0.24478265647405806, // 0x1.90d4f2f6752e6p-1, 0x1.f5509c0179000p-3
  0.7781155388790811, 0.25088025827324145, // 0x1.8e6528effd79dp-1, 0x1.00e6c121fb800p-2
  0.7734139557869777, 0.2569408552510595, // 0x1.8bfce9fcc007cp-1, 0x1.071b80e93d000p-2
  0.7687687179914933, 0.26296511155101143, // 0x1.899c0dabec30ep-1, 0x1.0d46b9e867000p-2
  0.7641790698041854, 0.2689531327189343, // 0x1.87427aa2317fbp-1, 0x1.13687334bd000p-2
  0.7596438763692399, 0.27490553924610595, // 0x1.84f00acb39a08p-1, 0x1.1980d67234800p-2
  0.7551621951078668, 0.2808227248478943, // 0x1.82a49e8653e55p-1, 0x1.1f8ffe0cc8000p-2
  0.7507331780216866, 0.286704979267256, // 0x1.8060195f40260p-1, 0x1.2595fd7636800p-2
  0.7463557196361751, 0.29255295645509705, // 0x1.7e22563e0a329p-1, 0x1.2b9300914a800p-2
  0.7420289364869653, 0.2983670386142876, // 0x1.7beb377dcb5adp-1, 0x1.3187210436000p-2
  0.7377521537065876, 0.30414734587282055, // 0x1.79baa679725c2p-1, 0x1.377266dec1800p-2
  0.7335242966002608, 0.30989455774829366, // 0x1.77907f2170657p-1, 0x1.3d54ffbaf3000p-2
  0.729344777457841, 0.31560871301871884, // 0x1.756cadbd6130cp-1, 0x1.432eee32fe000p-2
]);

// Scratch for the bits of a double. Float64Array and Uint32Array share the platform's byte
// order, little-endian on every target this runs on, so words[1] is the high word.
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);

/**
 * Fused multiply-add: a·b + c rounded once to nearest, emulated exactly: Dekker's product (with
 * Veltkamp's split) gives a·b = p + pe exactly, then {@link roundSum}. Valid while a·b does not
 * overflow and is zero or at least 2^-969 in magnitude (its error must be representable), which
 * holds everywhere in glibcLog.
 */
export function fma(a: number, b: number, c: number): number {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return roundSum(p, ah * bh - p + ah * bl + al * bh + al * bl, c);
}

/**
 * p + pe + c rounded once to nearest, for p = fl(a·b) and pe = a·b − p (so |pe| ≤ ulp(p)/2): the
 * rounding of an fma. Knuth's TwoSum gives p + c = s + se exactly; z = s + (se + pe) then rounds
 * as the exact sum does unless s + u, u = fl(se + pe), lies exactly halfway between two doubles
 * while u is inexact (otherwise s + u is at least ulp(u) from a halfway point, more than u's
 * error). That tie shows as z + 2h being a double, h the error of s + u; u's error breaks it.
 */
function roundSum(p: number, pe: number, c: number): number {
  const s = p + c;
  let v = s - p;
  const se = p - (s - v) + (c - v);
  const u = se + pe;
  const z = s + u;
  const h = u - (z - s);
  if (h !== 0 && z + 2 * h - z === 2 * h) {
    v = u - se;
    const ue = se - (u - v) + (pe - v);
    if (ue !== 0 && ue > 0 === h > 0) return z + 2 * h;
  }
  return z;
}

/**
 * fma(a, b, c) for b = bh + bl with a·bh and a·bl exact (factors of few bits, or powers of two)
 * and |bl| ≤ 2^-30 |bh|: the error of fl(a·b) is then a·bh − fl(a·b), exact by Sterbenz, plus
 * a·bl, exact as the sum is the representable error, so no Veltkamp split is needed.
 */
export function fmaSplitFactor(a: number, b: number, bh: number, bl: number, c: number): number {
  const p = a * b;
  return roundSum(p, a * bh - p + a * bl, c);
}

/**
 * fma(a, b, c) when |a·b| ≤ |c| / 8, the cheap way. Then s = fl(a·b + c) computed from
 * p = fl(a·b), its error se, c, and the halfway points around s are all multiples of ulp(p), while
 * the product's error is at most ulp(p)/2: the fused result is s unless c + p is exactly halfway,
 * which is rare and left to {@link fma}. Every polynomial step of glibcLog is of this kind.
 */
export function fmaSmallProduct(a: number, b: number, c: number): number {
  const p = a * b;
  const s = c + p;
  const se = p - (s - c);
  return se !== 0 && s + 2 * se - s === 2 * se ? fma(a, b, c) : s;
}

/**
 * fma(z, invc, −1) for z·invc in [1/2, 2], exactly and cheaply: Dekker's product gives
 * z·invc = p + pe exactly; p lies in [1/2, 2] too, so p − 1 is exact (Sterbenz), and
 * (p − 1) + pe is the exact value rounded once, as the fused instruction rounds it. In
 * glibcLog z ∈ [0x1.6p-1, 0x1.6p0) and z·invc is within 2^-8 of 1.
 */
export function mulSubOne(z: number, invc: number): number {
  const p = z * invc;
  let t = SPLIT * z;
  const zh = t - (t - z);
  const zl = z - zh;
  t = SPLIT * invc;
  const ch = t - (t - invc);
  const cl = invc - ch;
  return p - 1 + (zh * ch - p + zh * cl + zl * ch + zl * cl);
}

/**
 * Natural logarithm equal bit for bit to glibc's `log` on x86-64 CPUs with FMA and AVX2 (its
 * `__log_fma`, as Debian 12's glibc 2.36 builds it), which is what numpy's legacy Gaussian
 * sampler gets from the C library there. NaN for negative arguments and NaN (payloads are not
 * kept), −Infinity for ±0, Infinity for Infinity.
 */
export function glibcLog(x: number): number {
  scratch[0] = x;
  let hi = words[1];
  // Near 1, ix − asuint64(1 − 2^-4) < asuint64(1 + 0x1.09p-4) − asuint64(1 − 2^-4): both low words are 0.
  if ((hi - 0x3fee0000) >>> 0 < 0x30900) {
    if (x === 1) return 0;
    const r = x - 1;
    const r2 = r * r;
    const r3 = r * r2;
    // r split as in the source (w = r·2^27, rhi = r + w − w); the fma that GCC made of the steps with
    // products by 2^27 and by B0 = −0.5 are plain additions, those products being exact.
    const rhi = r + r * TWO27 - r * TWO27;
    const rlo = r - rhi;
    const w = rhi * rhi * -0.5;
    const yhi = r + w;
    const product = -0.5 * rlo * (rhi + r);
    const ylo = product + (r - yhi + w);
    const q = ((r3 * B10 + (r2 * B9 + (r * B8 + B7))) * r3 + (r2 * B6 + (r * B5 + B4))) * r3 + (r2 * B3 + (r * B2 + B1));
    // Unfused, q is within 2^-51 of its fused value relatively and ylo within 2^-52 of |ylo| + |product|,
    // so the tail q·r3 + ylo is within `doubt` / 2 of glibc's; |yhi|·2^-100 keeps `doubt` above the
    // rounding of t ± doubt in settled().
    const doubt = (Math.abs(q * r3) + Math.abs(ylo) + Math.abs(product)) * TWO_M47 + Math.abs(yhi) * TWO_M100;
    const y = settled(yhi, q * r3 + ylo, doubt);
    return Number.isNaN(y) ? nearOneExact(r, r2, r3, rhi, rlo, w, yhi) : y;
  }
  // top16 − 0x0010 ≥ 0x7ff0 − 0x0010: x below 2^-1022 (or ±0), negative, Infinity or NaN.
  if (((hi >>> 16) - 0x10) >>> 0 >= 0x7fe0) {
    if (x === 0) return Number.NEGATIVE_INFINITY;
    if (x === Number.POSITIVE_INFINITY) return x;
    if (!(x > 0)) return Number.NaN;
    // Subnormal: scale by 2^52 and take 52 off the exponent field (it may wrap below zero).
    scratch[0] = x * TWO52;
    hi = words[1] - 0x3400000;
  }
  // x = 2^k z with z in [OFF, 2·OFF), OFF = 0x3fe6000000000000; i picks the subinterval of z.
  // OFF and the masks have zero low words, so the 64-bit arithmetic is done on the high word.
  const tmp = (hi - 0x3fe60000) | 0;
  const i = (tmp >>> 13) & 127;
  const k = tmp >> 20;
  words[1] = hi - (tmp & 0xfff00000);
  const invc = TAB[2 * i];
  const r = mulSubOne(scratch[0], invc);
  // hi + lo = r + log(c) + k·ln2; k·LN2HI is exact, so its fma is a plain addition.
  const w = k * LN2HI + TAB[2 * i + 1];
  const yhi = w + r;
  const e = w - yhi + r;
  const r2 = r * r;
  const ylo = k * LN2LO + e;
  const q = (r * A4 + A3) * r2 + (r * A2 + A1);
  // Unfused, each of ylo, q and r2·A0 + ylo is within 2^-51 of its fused value relative to its size
  // (k·LN2LO within 2^-80 absolutely for |k| < 2^17), so the tail is within `doubt` / 2 of glibc's.
  const doubt = (r2 + Math.abs(ylo)) * TWO_M47 + TWO_M79;
  const y = settled(yhi, r * r2 * q + (r2 * A0 + ylo), doubt);
  return Number.isNaN(y) ? mainExact(r, r2, k, e, yhi) : y;
}

/**
 * fl(head + tail) when every value within `doubt` / 2 of `tail` rounds to the same double with
 * `head` (|tail| ≤ |head|), else NaN: the caller then computes the tail exactly as glibc does.
 * s + t = head + tail exactly (Fast2Sum); rounding is monotone, so if s + (t ∓ doubt) both round
 * to s, everything in between does. Near a halfway point, which is rare, the answer is NaN.
 */
function settled(head: number, tail: number, doubt: number): number {
  const s = head + tail;
  const t = tail - (s - head);
  return s + (t - doubt) === s && s + (t + doubt) === s ? s : Number.NaN;
}

/** glibc's tail near 1, every fused step emulated exactly, when {@link settled} is in doubt. */
function nearOneExact(r: number, r2: number, r3: number, rhi: number, rlo: number, w: number, yhi: number): number {
  const q1 = fmaSmallProduct(r2, B3, fmaSmallProduct(r, B2, B1));
  const q2 = fmaSmallProduct(r2, B6, fmaSmallProduct(r, B5, B4));
  const q3 = fmaSmallProduct(r3, B10, fmaSmallProduct(r2, B9, fmaSmallProduct(r, B8, B7)));
  const q = fmaSmallProduct(fmaSmallProduct(q3, r3, q2), r3, q1);
  const ylo = fma(-0.5 * rlo, rhi + r, r - yhi + w);
  return yhi + fma(q, r3, ylo);
}

/** glibc's tail away from 1, every fused step emulated exactly, when {@link settled} is in doubt. */
function mainExact(r: number, r2: number, k: number, e: number, yhi: number): number {
  const ylo = fmaSplitFactor(k, LN2LO, LN2LO_HI, LN2LO_LO, e);
  const q = fmaSmallProduct(fmaSmallProduct(r, A4, A3), r2, fmaSmallProduct(r, A2, A1));
  // A0 = −1/2 − 2^-53.
  return fma(r * r2, q, fmaSplitFactor(r2, A0, -0.5, -TWO_M53, ylo)) + yhi;
}
